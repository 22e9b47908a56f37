public import ArgumentParser
public import STMDaemon
public import STMModels
public import STMTasks

// Model settings named on the command line by their raw values (`--cell lstm`, `--pooling max`).
extension CellKind: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}

extension LogTarget: ExpressibleByArgument {}

extension TranslatorDecoding: ExpressibleByArgument {}
