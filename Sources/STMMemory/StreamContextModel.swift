/// A context-aware head: reads a document vector `e` together with the stream state `s` (`[e; s]`) and keeps that
/// state up to date. The stream memory calls it once per document, in the stream's order, under its own lock:
///
/// 1. `s` is decayed to the document's event time (`StreamState.decay(to:)`);
/// 2. `probabilities(documentVector: e, state: s)` — the answer in the context of the previous documents;
/// 3. `s ← advance(state: s, documentVector: e)`.
///
/// With an empty (zero-length) or fully decayed state the head must give its context-free answer; the memory only
/// passes the state along and never interprets it.
public protocol StreamContextModel: AnyObject {
    /// Length of the state vector `s` this head keeps per stream.
    var stateSize: Int { get }
    /// Length of the document vector `e` it reads (the base model's); a document without one of that length — a
    /// stream whose tasks do not include the base model — is not read by the head.
    var documentVectorSize: Int { get }
    /// The next state after reading `documentVector` in state `state` (which may be empty: the start of a stream).
    func advance(state: [Float], documentVector: [Float]) -> [Float]
    /// Label probabilities for `documentVector` read in the context `state`.
    func probabilities(documentVector: [Float], state: [Float]) -> [Float]
}
