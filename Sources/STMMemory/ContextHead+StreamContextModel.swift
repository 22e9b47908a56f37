public import STMTasks

/// The trained context head (`stmd train context`, e.g. `Models/topic-news-context`) is what stream memory runs as
/// its context model: it keeps the state `s` and answers from `[e; s]`, falling back to the context-free answer
/// when the state is empty or decayed.
extension ContextHead: StreamContextModel {}
