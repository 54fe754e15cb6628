"""lmms-eval task YAMLs of the Video-R2 protocol (one folder per benchmark) and their scoring."""
