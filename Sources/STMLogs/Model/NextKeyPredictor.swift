import STMModels
import STMTensor

/// Serving form of `NextKeyModel`: the input half of every LSTM step is looked up rather than computed (each
/// input row's `Wx·e + bx + bh` is precomputed into a table), so a step is one `[4H, H]` GEMV, the fused gate
/// kernel, and — only for the state that predicts — one `[C, H]` GEMV for the scores. Nothing allocates per
/// step; a `Lane` is one LSTM state plus the number of keys it has read.
public struct NextKeyPredictor: Sendable {
    public let classCount: Int
    public let hiddenSize: Int
    /// `[(classCount + 1), 4H]`: the projected input of each class and of the start marker.
    private let inputTable: [Float]
    private let recurrentWeights: [Float]
    private let headWeights: [Float]
    private let headBias: [Float]

    public init(model: NextKeyModel, parameters: NextKeyModel.Parameters) {
        classCount = model.classCount
        hiddenSize = model.cell.hiddenSize
        let rows = Array(0...model.classCount)
        let embedded = model.embedding.forward(rows, parameters: parameters.embedding)
        inputTable = model.cell.projectInput(embedded, parameters: parameters.lstm).scalars
        recurrentWeights = parameters.lstm.wh.scalars
        headWeights = parameters.head.weight.scalars
        headBias = parameters.head.bias.scalars
    }

    /// One LSTM state with its scratch, and how many keys it has read since it was last reset.
    public struct Lane: Sendable {
        var h: [Float]
        var c: [Float]
        var gates: [Float]
        var nextH: [Float]
        var nextC: [Float]
        var tanhC: [Float]
        public internal(set) var age: Int

        init(hiddenSize: Int) {
            h = Array(repeating: 0, count: hiddenSize)
            c = h
            nextH = h
            nextC = h
            tanhC = h
            gates = Array(repeating: 0, count: 4 * hiddenSize)
            age = 0
        }

        mutating func reset() {
            for i in h.indices {
                h[i] = 0
                c[i] = 0
            }
            age = 0
        }
    }

    public func makeLane() -> Lane { Lane(hiddenSize: hiddenSize) }

    /// Advances `lane` by one input (a class, or `classCount` for the start marker).
    public func advance(_ lane: inout Lane, input: Int) {
        precondition(input >= 0 && input <= classCount, "NextKeyPredictor.advance: input \(input)")
        let hidden = hiddenSize
        let width = 4 * hiddenSize
        inputTable.withUnsafeBufferPointer { table in
            recurrentWeights.withUnsafeBufferPointer { wh in
                lane.gates.withUnsafeMutableBufferPointer { gates in
                    gates.baseAddress!.update(from: table.baseAddress! + input * width, count: width)
                    lane.h.withUnsafeBufferPointer { h in
                        FusedKernels.gemv(
                            rows: width, columns: hidden, weights: wh.baseAddress!, x: h.baseAddress!,
                            y: gates.baseAddress!,
                            accumulate: true)
                    }
                    lane.c.withUnsafeBufferPointer { previousC in
                        lane.nextC.withUnsafeMutableBufferPointer { c in
                            lane.tanhC.withUnsafeMutableBufferPointer { t in
                                lane.nextH.withUnsafeMutableBufferPointer { out in
                                    FusedKernels.lstmForward(
                                        batch: 1, hidden: hidden, gates: gates.baseAddress!,
                                        previousC: previousC.baseAddress!,
                                        c: c.baseAddress!, tanhC: t.baseAddress!, h: out.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        swap(&lane.h, &lane.nextH)
        swap(&lane.c, &lane.nextC)
        lane.age += 1
    }

    /// The scores of every class after `lane`'s inputs, written into `scores` (`classCount` long).
    public func scores(_ lane: Lane, into scores: inout [Float]) {
        precondition(scores.count == classCount, "NextKeyPredictor.scores: \(scores.count) slots")
        headBias.withUnsafeBufferPointer { bias in
            scores.withUnsafeMutableBufferPointer { out in
                out.baseAddress!.update(from: bias.baseAddress!, count: classCount)
                headWeights.withUnsafeBufferPointer { w in
                    lane.h.withUnsafeBufferPointer { h in
                        FusedKernels.gemv(
                            rows: classCount, columns: hiddenSize, weights: w.baseAddress!, x: h.baseAddress!,
                            y: out.baseAddress!, accumulate: true)
                    }
                }
            }
        }
    }
}
