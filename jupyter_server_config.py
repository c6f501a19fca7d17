# JupyterLab for this project (`make lab` passes this file with --config).
#
# Saving a notebook under notebooks/ strips its outputs and puts its `parameters` cell back to
# the one generated from params.yaml, so that working in JupyterLab never dirties the tracked
# notebooks nor breaks `make test` (see unga_brief.report.lab and the README's JupyterLab paragraph).
# Notebooks anywhere else (copies under build/, scratch notebooks) are saved as they are.
from unga_brief.report.lab import pre_save_hook

c = get_config()  # noqa: F821  (provided by Jupyter when it loads this file)
c.ContentsManager.pre_save_hook = pre_save_hook
