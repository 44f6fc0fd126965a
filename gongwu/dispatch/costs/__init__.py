"""Per-vehicle running costs (单车运行费用) and their budget postings.

Every yuan a car costs is one :class:`~.models.CostEntry` (fuel-card transactions, charging sessions, work orders
of the fixed repair shops, insurance and the annual inspection, tolls and parking, depreciation, drivers), and
every cash yuan is posted exactly once to a 公务用车运行维护费 (30231) budget line: to the booking unit for the
trips that used the car (:mod:`.settlement`), to the owning unit for the rest (the month's close). The monthly
cost sheet, the per-vehicle evaluation against peers and the quota (定额), and the 公示 exports are built on them.
"""
