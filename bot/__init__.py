"""The DingShift process: settings, CLI, wiring, the DingTalk stream adapter and outbound side."""
