"""Notifications of dispatch: the in-page inbox, and the outbox that publishes events on the bus and posts
them to the webhook of SMS / IM gateways after the transaction that caused them commits."""
