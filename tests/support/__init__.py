"""Code the tests and audits use that no deployable ships: the DP audit, the evaluated
but undeployed binary-tree mechanism, hostile inputs."""
