"""The stages users run: one small Spark job per stage (`weft <stage>` or `spark-submit`), the job base they
share (jobs/base.py: arguments, config, lock, per-file tasks, resume, stats), the `weft` CLI, and the global
shuffles (dedup). The only floor that knows Spark. May import filters, engine and schemas; nothing imports jobs
except benchmarks.
"""
