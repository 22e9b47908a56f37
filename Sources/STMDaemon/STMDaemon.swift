/// The daemon: configuration, pipeline, outputs and ledger (issue 5).
