"""The messaging subsystem: the outbox, its dispatcher, the email and SMS backends and the tasks.

It sits below every app of ours and imports none of them (DESIGN.md: Layers). Each app declares its
own message kinds beside its domain — one `kinds.MessageKind` subclass per kind, registered with
`kinds.register` — and writes rows with `outbox.record(...)` in the transaction of the change that
causes them. A row says what it is about in real columns (`about_type`, `about_id`) and `data`; its
unique key is only a key, never parsed. A new kind needs no migration.
"""
