"""The reconciler benchmark (issue 7): a converged, nothing-to-do run against the floor and
against Ansible, what it spawns and holds in memory, and what its imports cost."""
