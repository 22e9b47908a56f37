import STMTensor

/// Checkpoints: one safetensors file holding the weights (`model.*`), Adam's moments (`adam.m.*`,
/// `adam.v.*`) and, in its metadata, the seed, step, epoch and position in the epoch — everything a resumed
/// run needs to continue exactly where the stopped one was.
extension Trainer {
    static var formatTag: String { "stmd-checkpoint-1" }

    /// Writes the checkpoint atomically (temporary file, fsync, rename). `metadata` is stored alongside, for
    /// the caller's own configuration (e.g. the model config as JSON).
    public func saveCheckpoint(to path: String, metadata: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        for (key, tensor) in parameters.namedTensors { tensors["model." + key] = tensor }
        for (key, tensor) in optimizer.firstMoment.namedTensors { tensors["adam.m." + key] = tensor }
        for (key, tensor) in optimizer.secondMoment.namedTensors { tensors["adam.v." + key] = tensor }
        var fields = metadata
        fields["format"] = Self.formatTag
        fields["seed"] = String(seed)
        fields["step"] = String(step)
        fields["epoch"] = String(epoch)
        fields["batchInEpoch"] = String(batchInEpoch)
        fields["learningRate"] = String(optimizer.learningRate)
        try SafetensorsFile.write(tensors: tensors, metadata: fields, to: path)
    }

    /// Restores a checkpoint written by `saveCheckpoint` into a trainer built with the same model shape and
    /// optimizer settings. Every key and shape is checked; the seed must match (a different seed would
    /// silently change the rest of the run). Returns the caller's metadata.
    @discardableResult
    public mutating func resume(fromCheckpoint path: String) throws -> [String: String] {
        let file = try SafetensorsFile.read(contentsOf: path)
        let metadata = file.metadata
        guard metadata["format"] == Self.formatTag else {
            throw CheckpointError.notACheckpoint(path: path, format: metadata["format"])
        }
        func integer(_ key: String) throws -> Int {
            guard let text = metadata[key], let value = Int(text) else {
                throw CheckpointError.badMetadata(path: path, key: key, value: metadata[key])
            }
            return value
        }
        guard metadata["seed"] == String(seed) else {
            throw CheckpointError.seedMismatch(path: path, stored: metadata["seed"] ?? "none", expected: seed)
        }
        var restored = parameters
        var firstMoment = optimizer.firstMoment
        var secondMoment = optimizer.secondMoment
        do {
            try restored.load(from: file.tensors, prefix: "model.")
            try firstMoment.load(from: file.tensors, prefix: "adam.m.")
            try secondMoment.load(from: file.tensors, prefix: "adam.v.")
        } catch {
            throw CheckpointError.parameters(path: path, error)
        }
        let step = try integer("step")
        let epoch = try integer("epoch")
        let batchInEpoch = try integer("batchInEpoch")
        parameters = restored
        optimizer.restore(step: step, firstMoment: firstMoment, secondMoment: secondMoment)
        if let rate = metadata["learningRate"].flatMap(Float.init) { optimizer.learningRate = rate }
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        return metadata.filter { !["format", "seed", "step", "epoch", "batchInEpoch", "learningRate"].contains($0.key) }
    }
}

/// Why a checkpoint could not be resumed.
public enum CheckpointError: Error, CustomStringConvertible {
    case notACheckpoint(path: String, format: String?)
    case badMetadata(path: String, key: String, value: String?)
    case seedMismatch(path: String, stored: String, expected: UInt64)
    case parameters(path: String, ParameterLoadError)

    public var description: String {
        switch self {
        case .notACheckpoint(let path, let format):
            return "\(path): not an stmd checkpoint (format \(format.map { "'\($0)'" } ?? "missing"))"
        case .badMetadata(let path, let key, let value):
            return "\(path): checkpoint metadata '\(key)' is \(value.map { "'\($0)'" } ?? "missing")"
        case .seedMismatch(let path, let stored, let expected):
            return "\(path): checkpoint was trained with seed \(stored), this run uses \(expected)"
        case .parameters(let path, let error):
            return "\(path): \(error)"
        }
    }
}
