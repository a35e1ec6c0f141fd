"""The task engine: long-running gateway jobs (video, …) with one restart-safe life cycle."""
