import STMModels
import STMTensor
import Testing

/// The inference-only path (`RecurrentRunner`, `ClassifierInference`) against the training path, which the
/// reference suites pin to NumPy and PyTorch.
struct InferenceTests {
    @Test(arguments: CellCase.allCases, [1, 3])
    func runnerMatchesTrainingForward(_ kind: CellCase, batch: Int) {
        let report = kind.with(inputSize: 5, hiddenSize: 32, RunnerComparison(batch: batch, precision: .f32))
        #expect(report.maxError < 2e-6, "\(kind) batch \(batch): \(report.maxError)")
    }

    @Test(arguments: CellCase.allCases)
    func bf16WeightsStayCloseToF32(_ kind: CellCase) {
        let report = kind.with(inputSize: 5, hiddenSize: 64, RunnerComparison(batch: 1, precision: .bf16))
        // bf16 keeps 8 bits of mantissa: states in (−1, 1) move by ~1e-3 per step; the bound is loose but the
        // lower one proves the weights really were rounded.
        #expect(report.maxError < 2e-2, "\(kind): \(report.maxError)")
        #expect(report.maxError > 1e-6, "\(kind): bf16 gave f32 results exactly")
    }

    /// Two threads split a batch-1 step by hidden units and a bf16 batch by sequences: same numbers as one.
    @Test(arguments: CellCase.allCases, WeightPrecision.allCases)
    func threadCountDoesNotChangeResults(_ kind: CellCase, precision: WeightPrecision) {
        let previous = BLAS.threadCount
        defer { BLAS.threadCount = previous }
        BLAS.threadCount = 1
        let single = kind.with(inputSize: 5, hiddenSize: 64, RunnerComparison(batch: 1, precision: precision))
        let batched = kind.with(inputSize: 5, hiddenSize: 64, RunnerComparison(batch: 3, precision: precision))
        BLAS.threadCount = 2
        let singleTwo = kind.with(inputSize: 5, hiddenSize: 64, RunnerComparison(batch: 1, precision: precision))
        let batchedTwo = kind.with(inputSize: 5, hiddenSize: 64, RunnerComparison(batch: 3, precision: precision))
        #expect(single.maxError == singleTwo.maxError)
        #expect(batched.maxError == batchedTwo.maxError)
        #expect(batchedTwo.maxError < (precision == .f32 ? 2e-6 : 2e-2))
    }

    @Test(arguments: Pooling.allCases)
    func classifierInferenceMatchesTrainingPath(_ pooling: Pooling) {
        let model = SequenceClassifier(
            vocabularySize: 30, embeddingSize: 8, hiddenSize: 16, classCount: 4, layers: 2, bidirectional: true,
            pooling: pooling, makeCell: { GRUCell(inputSize: $0, hiddenSize: $1) })
        var generator = SplitMix64(seed: 4)
        let parameters = model.makeParameters(using: &generator)
        let batch = [[1, 2, 3, 4, 5], [6], [7, 8, 9], [10, 11, 12, 13, 14]]
        let reference = model.probabilities(batch, parameters: parameters)
        let fast = ClassifierInference(model: model, parameters: parameters, precision: .f32).probabilities(batch)
        #expect(reference.maxAbsoluteDifference(fast) < 1e-5)
        // Batch-1 (GEMV path) agrees with the batched result row for row.
        let inference = ClassifierInference(model: model, parameters: parameters, precision: .f32)
        for (row, sequence) in batch.enumerated() {
            let single = inference.probabilities([sequence])
            #expect(single.maxAbsoluteDifference(reference.rows(row..<(row + 1))) < 1e-5)
        }
    }
}

/// Runs a padded batch through both paths; returns the largest difference in outputs and final states.
private struct RunnerComparison: CellCaseVisitor {
    let batch: Int
    let precision: WeightPrecision

    func visit<Cell: RecurrentCell>(_ cell: Cell) -> (maxError: Float, unused: Void) {
        var generator = SplitMix64(seed: 12)
        let parameters = cell.makeParameters(using: &generator)
        let steps = 6
        let lengths = batch == 1 ? [6] : [6, 2, 4]
        let input = Tensor.uniform([steps, batch, cell.inputSize], bound: 1, using: &generator)
        let reference = Recurrent(cell: cell).forward(input, lengths: lengths, parameters: parameters)
        let runner = cell.makeRunner(parameters: parameters, precision: precision)
        var outputs = Tensor.zeros([steps, batch, cell.hiddenSize])
        var final = Tensor.zeros([batch, cell.hiddenSize])
        // Run twice: the second run reuses the buffers and must not see the first one's state.
        for _ in 0..<2 {
            input.scalars.withUnsafeBufferPointer { x in
                outputs.scalars.withUnsafeMutableBufferPointer { out in
                    final.scalars.withUnsafeMutableBufferPointer { last in
                        runner.run(
                            input: x.baseAddress!, steps: steps, batch: batch, lengths: lengths,
                            outputs: out.baseAddress!, finalH: last.baseAddress!)
                    }
                }
            }
        }
        let error = max(
            outputs.maxAbsoluteDifference(reference.outputs), final.maxAbsoluteDifference(reference.finalState.output))
        return (error, ())
    }
}
