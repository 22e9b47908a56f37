public import STMTensor

/// Loss and gradients of a batch computed as fixed parts ("shards") on the kernels' pool, then combined.
///
/// Data parallelism for training on a few cores: each shard runs the whole forward and backward pass on its
/// slice of the batch, so every part of the step (the small per-step GEMMs, the gate kernels, the copies)
/// runs in parallel, not only the large GEMMs. The shards are combined in shard order with weights
/// `size / batch`, each element summed in the same order whatever the thread count, so a given number of
/// shards gives the same gradients bit for bit on one thread or several.
public enum ShardedGradients {
    /// - Parameters:
    ///   - batchSize: examples in the batch; shard `i` gets a contiguous slice of them.
    ///   - shards: parts to split into (at most `batchSize`); 1 computes the batch as a whole with `generator`
    ///     itself, more give each part a seed drawn from it (also when a small batch makes only one part).
    ///   - generator: draws one seed per shard (for dropout), so the noise is fixed by the step, not by timing.
    ///   - piece: the mean loss and its gradients over one slice of the batch, with that shard's generator.
    public static func compute<Parameters: ParameterGroup>(
        batchSize: Int, shards: Int, generator: inout SplitMix64,
        _ piece: (Range<Int>, inout SplitMix64) -> (loss: Float, gradients: Parameters)
    ) -> (loss: Float, gradients: Parameters) {
        precondition(batchSize > 0, "ShardedGradients: an empty batch")
        if shards <= 1 { return piece(0..<batchSize, &generator) }
        let parts = min(shards, batchSize)
        let size = (batchSize + parts - 1) / parts
        let ranges = (0..<parts).map { ($0 * size)..<min(batchSize, ($0 + 1) * size) }.filter { !$0.isEmpty }
        let seeds = ranges.map { _ in generator.next() }
        let results = Slots<(loss: Float, gradients: Parameters)>(count: ranges.count)
        FusedKernels.parallel(ranges.count) { index in
            var shardGenerator = SplitMix64(seed: seeds[index])
            results.store(index, piece(ranges[index], &shardGenerator))
        }
        let weights = ranges.map { Float($0.count) / Float(batchSize) }
        var loss: Float = 0
        var shardGradients: [Parameters] = []
        for index in ranges.indices {
            let (shardLoss, gradients) = results.take(index)
            loss += shardLoss * weights[index]
            shardGradients.append(gradients)
        }
        var combined = shardGradients.removeFirst()
        combined.combine(weight: weights[0], with: shardGradients, weights: Array(weights.dropFirst()))
        return (loss, combined)
    }
}

extension ParameterGroup {
    /// `self = weight·self + Σ weights[i]·others[i]`, element by element in that order (the same result on any
    /// number of threads); large tensors are split over the kernels' pool.
    public mutating func combine(weight: Float, with others: [Self], weights: [Float]) {
        precondition(others.count == weights.count, "ParameterGroup.combine: \(others.count) groups, \(weights.count) weights")
        if others.isEmpty, weight == 1 { return }
        let otherTensors = others.map(\.namedTensors)
        var index = 0
        visitTensors(prefix: "") { key, tensor in
            let sources = otherTensors.map { list -> Tensor in
                precondition(list[index].key == key, "ParameterGroup.combine: \(key) against \(list[index].key)")
                precondition(list[index].tensor.count == tensor.count, "ParameterGroup.combine: \(key) shapes differ")
                return list[index].tensor
            }
            tensor.scalars.withUnsafeMutableBufferPointer { target in
                let count = target.count
                guard count > 0 else { return }
                let tasks = count >= 1 << 16 ? FusedKernels.poolThreads : 1
                let share = ((count + tasks - 1) / tasks + 15) / 16 * 16
                FusedKernels.parallel(tasks) { task in
                    let first = task * share, end = min(count, first + share)
                    guard first < end else { return }
                    // The scaling rides along with the first addend: one pass over the target for two shards.
                    for (number, (source, w)) in zip(sources, weights).enumerated() {
                        source.scalars.withUnsafeBufferPointer { s in
                            if number == 0 {
                                for i in first..<end { target[i] = weight * target[i] + w * s[i] }
                            } else {
                                for i in first..<end { target[i] += w * s[i] }
                            }
                        }
                    }
                    if sources.isEmpty { for i in first..<end { target[i] *= weight } }
                }
            }
            index += 1
        }
    }
}

/// One result slot per shard, written from the pool's threads (each slot by exactly one task) through a raw buffer,
/// so no shared array's copy-on-write or exclusivity checks can trip; read after the join.
final class Slots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ index: Int, _ value: Value) { slots[index] = value }

    func take(_ index: Int) -> Value { slots[index].take()! }
}
