"""The composition root, the process itself: CLI, wiring, demo, the DingTalk stream adapter, the
per-event dispatcher and the outbox sender. It imports every other package; none imports it."""
