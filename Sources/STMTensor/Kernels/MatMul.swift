internal import CDNNL

/// General matrix multiply through oneDNN's `dnnl_sgemm` (row-major):
/// `c = alpha · op(a) · op(b) + beta · c`, with `op` the optional transpose.
///
/// - a: `[m, k]` (or `[k, m]` when `transposeA`), b: `[k, n]` (or `[n, k]` when `transposeB`), c: `[m, n]`.
/// Tensors of higher rank are viewed as matrices `[rowCount, columnCount]`.
public func gemm(
    _ a: Tensor, transposeA: Bool = false,
    _ b: Tensor, transposeB: Bool = false,
    into c: inout Tensor, alpha: Float = 1, beta: Float = 0
) {
    let (aRows, aCols) = (a.rowCount, a.columnCount)
    let (bRows, bCols) = (b.rowCount, b.columnCount)
    let m = transposeA ? aCols : aRows
    let k = transposeA ? aRows : aCols
    let n = transposeB ? bRows : bCols
    let kB = transposeB ? bCols : bRows
    precondition(k == kB, "gemm: inner extents differ, a \(a.shape)\(transposeA ? "ᵀ" : "") b \(b.shape)\(transposeB ? "ᵀ" : "")")
    precondition(c.rowCount == m && c.columnCount == n, "gemm: c \(c.shape) is not [\(m), \(n)]")
    if m == 0 || n == 0 { return }
    if k == 0 {
        c.scale(by: beta)
        return
    }
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            c.scalars.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: pa.baseAddress!, lda: aCols, b: pb.baseAddress!, ldb: bCols,
                    beta: beta, c: pc.baseAddress!, ldc: n)
            }
        }
    }
}

/// `op(a) · op(b)` as a new tensor.
public func matmul(_ a: Tensor, transposeA: Bool = false, _ b: Tensor, transposeB: Bool = false) -> Tensor {
    let m = transposeA ? a.columnCount : a.rowCount
    let n = transposeB ? b.rowCount : b.columnCount
    var c = Tensor.zeros([m, n])
    gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
    return c
}

/// The process-wide BLAS binding. oneDNN keeps its own OpenMP thread pool; stmd sets its size on purpose
/// (see `BLAS.threadCount`) rather than letting it default to every core and fight the daemon's own threads.
public enum BLAS {
    /// Raw row-major sgemm on pointers, for kernels that manage their own buffers.
    @inline(__always)
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let noTranspose = CChar(UInt8(ascii: "N")), transpose = CChar(UInt8(ascii: "T"))
        let status = dnnl_sgemm(
            transposeA ? transpose : noTranspose, transposeB ? transpose : noTranspose,
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status.rawValue) for m=\(m) n=\(n) k=\(k)")
    }

    /// Threads oneDNN may use for one GEMM. Set once at start-up from `STMD_THREADS` (default 1: the daemon
    /// runs documents concurrently, so nested parallelism inside each small GEMM only adds contention).
    public static var threadCount: Int {
        get { Int(omp_get_max_threads()) }
        set { omp_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Applies `STMD_THREADS` from the environment (or 1), and returns the count in force.
    @discardableResult
    public static func configureThreadsFromEnvironment(_ environment: [String: String]) -> Int {
        let requested = environment["STMD_THREADS"].flatMap(Int.init) ?? 1
        threadCount = requested
        return threadCount
    }
}
