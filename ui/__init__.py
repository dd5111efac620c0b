"""The idgraph launch form: a Gradio app (`idgraph ui`, `python -m ui.app`).

Modules: `steps` (the form as data, validated by the engine), `state` (checkpoints and run
history), `runner` and `worker` (generation in worker processes, queue, cancel), `jobs`
(Unity Catalog launches as Databricks Jobs runs), `views` (how runs read on the page),
`benchmarks` (bench/results and small bench runs), and the tabs `form`, `runs_tab`,
`bench_tab` assembled by `app`. Importing this package does not import Gradio or Spark,
so the worker starts fast.
"""
