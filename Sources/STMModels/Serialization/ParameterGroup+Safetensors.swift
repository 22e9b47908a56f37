internal import STMTensor

extension ParameterGroup {
    /// Every tensor under `prefix` + its key, the form a safetensors file stores.
    private func tensorsByKey(prefix: String) -> [String: Tensor] {
        var copy = self
        var tensors: [String: Tensor] = [:]
        copy.visitTensors(prefix: prefix) { key, tensor in
            precondition(tensors.updateValue(tensor, forKey: key) == nil, "ParameterGroup: key '\(key)' visited twice")
        }
        return tensors
    }

    /// The parameters as a safetensors file in memory, every tensor stored as `dtype`.
    public func safetensorsBytes(
        prefix: String = "",
        metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32
    ) -> [UInt8] {
        SafetensorsFile.encode(tensors: tensorsByKey(prefix: prefix), metadata: metadata, dtype: dtype)
    }

    /// Writes the parameters to `path` atomically (see `SafetensorsFile.write`).
    public func write(
        safetensorsTo path: String,
        prefix: String = "",
        metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32
    ) throws(ModelFileError) {
        do {
            try SafetensorsFile.write(tensors: tensorsByKey(prefix: prefix), metadata: metadata, dtype: dtype, to: path)
        } catch {
            throw .safetensors(error)
        }
    }

    /// Replaces every tensor with the one stored in `path` under `prefix` + its key. Every key must be
    /// present with the same shape, or nothing changes; extra tensors in the file are ignored.
    public mutating func load(safetensorsFrom path: String, prefix: String = "") throws(ModelFileError) {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile.read(contentsOf: path)
        } catch {
            throw .safetensors(error)
        }
        do {
            try load(from: file.tensors, prefix: prefix)
        } catch {
            throw .parameters(path: path, error)
        }
    }
}
