"""The driver's side (司机端): today's tasks in order, their steps, the telematics trip each booking was served
by, and refuel / charge / expense entries with receipt photos.

=============================================== ==============================================================
``gongwu.dispatch.driving.models``              :class:`DriverTask` (steps, odometer, planned vs actual, trip),
                                                :class:`DriverExpense`
``gongwu.dispatch.driving.flows``               ``today``, ``step`` (accept, arrive, board, dropoff, finish),
                                                ``add_expense``; navigation hand-off links
``gongwu.dispatch.driving.receipts``            receipt photos: checked by their bytes, stored under uploads/
``gongwu.dispatch.driving.router``              ``/api/driver/tasks``, ``/api/driver/expenses``
=============================================== ==============================================================
"""
