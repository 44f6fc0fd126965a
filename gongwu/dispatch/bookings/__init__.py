"""Bookings (用车申请) and their approvals: the requester's trip from submission to completion.

=============================================== ==============================================================
``gongwu.dispatch.bookings.models``             :class:`Booking`, :class:`BookingApproval`, :class:`BookingEvent`
                                                (timeline), :class:`FrequentPlace`; ``STATUSES``
``gongwu.dispatch.bookings.flows``              the use cases: ``submit_booking``, ``approve``, ``reject``,
                                                ``cancel``; dispatch's steps ``mark_assigned``, ``unassign``,
                                                ``mark_in_progress``, ``mark_completed``; ``commit``; ``TOPIC``
``gongwu.dispatch.bookings.service``            scoped reads (``get_booking``, ``list_bookings``), the timeline
``gongwu.dispatch.bookings.rules``              the rules of official-car use, each with its error code
``gongwu.dispatch.bookings.estimates``          route estimates, costs, the city area
``gongwu.dispatch.bookings.router``             ``/api/bookings``, ``/api/approvals``
=============================================== ==============================================================
"""
