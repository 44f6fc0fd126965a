"""Pooled dispatch (拼车调度): the rolling planner that gives approved bookings cars and drivers.

=============================================== ==============================================================
``gongwu.dispatch.pooling.models``              :class:`DispatchPlan` (proposed / accepted / superseded) with its
                                                routes, stops and left-out bookings; :class:`Override`
``gongwu.dispatch.pooling.inputs``              what is planned: bookings, cars (live position or depot, seals,
                                                charge), drivers, overrides, the plan in force
``gongwu.dispatch.pooling.problem``             pure: those → the vrp ``Problem`` (who may carry whom, fixed legs,
                                                drivers paired with cars, the current assignments as ``previous``)
``gongwu.dispatch.pooling.drafts``              pure: the solution → the plan to store (routes, stops, reasons)
``gongwu.dispatch.pooling.worker``              ``solve`` in a spawned worker process, never on the event loop
``gongwu.dispatch.pooling.verify``              the booking-level check of a plan before it is stored
``gongwu.dispatch.pooling.flows``               ``run_plan``, ``accept``
``gongwu.dispatch.pooling.overrides``           ``create_override``, ``remove_override`` (rules with their codes)
``gongwu.dispatch.pooling.energy``              electric cars from charging: ``can_serve``, range, readiness
``gongwu.dispatch.pooling.runtime``             the background planner (timer and booking events); charging's
                                                trip source
``gongwu.dispatch.pooling.router``              ``/api/dispatch/plans``, ``/api/dispatch/overrides``
=============================================== ==============================================================

See docs/dispatch.md.
"""
