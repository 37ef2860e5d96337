"""The time-to-converge benchmark (issue 7, item 3): one `gate-reconcile apply` after each
kind of drift, until `gate-reconcile check` passes."""
