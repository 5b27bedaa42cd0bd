"""The client jobs ``python -m benchmarks._client_job`` runs, one module per benchmark."""
