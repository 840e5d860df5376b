"""The computation: the DAG built from a tree, the engine, the compiled schedule, evaluation."""
