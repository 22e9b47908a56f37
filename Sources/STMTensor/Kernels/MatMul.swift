internal import CDNNL
internal import CSTMKernels

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
        // c may be `unfilled`: with beta = 0 it is set, never scaled (0 · NaN is NaN).
        if beta == 0 { c = Tensor.zeros(c.shape) } else { c.scale(by: beta) }
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
    var c = Tensor.unfilled([m, n])
    gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
    return c
}

/// The process-wide BLAS binding.
///
/// Threads: oneDNN runs every call single-threaded (its OpenMP pool is pinned to one thread on each calling
/// thread), and stmd parallelises above it in the kernels' own pool: a large GEMM is split into row (or column)
/// blocks, one per pool thread. One pool, sized by `threadCount`, so nothing spins against anything else.
public enum BLAS {
    /// Row-major sgemm on pointers, split over the kernels' pool when it has threads and the product is big
    /// enough to pay for the hand-off.
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let tasks = FusedKernels.poolThreads
        guard tasks > 1, m * n * k >= 1 << 18 else {
            sgemmSingle(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                        b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if m >= 16 * tasks {
            // Rows of C (and of op(A)) split in blocks.
            let share = (m + tasks - 1) / tasks
            FusedKernels.parallel(tasks) { task in
                let first = task * share, rows = min(share, m - first)
                guard rows > 0 else { return }
                let aPart = transposeA ? a + first : a + first * lda
                sgemmSingle(transposeA: transposeA, transposeB: transposeB, m: rows, n: n, k: k, alpha: alpha,
                            a: aPart, lda: lda, b: b, ldb: ldb, beta: beta, c: c + first * ldc, ldc: ldc)
            }
        } else {
            // Columns of C (and of op(B)) split in blocks of 16.
            let share = ((n + tasks - 1) / tasks + 15) / 16 * 16
            FusedKernels.parallel(tasks) { task in
                let first = task * share, columns = min(share, n - first)
                guard columns > 0 else { return }
                let bPart = transposeB ? b + first * ldb : b + first
                sgemmSingle(transposeA: transposeA, transposeB: transposeB, m: m, n: columns, k: k, alpha: alpha,
                            a: a, lda: lda, b: bPart, ldb: ldb, beta: beta, c: c + first, ldc: ldc)
            }
        }
    }

    @inline(__always)
    static func sgemmSingle(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        stm_blas_thread_setup()
        let noTranspose = CChar(UInt8(ascii: "N")), transpose = CChar(UInt8(ascii: "T"))
        let status = dnnl_sgemm(
            transposeA ? transpose : noTranspose, transposeB ? transpose : noTranspose,
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status.rawValue) for m=\(m) n=\(n) k=\(k)")
    }

    /// Threads for stmd's numeric work (the kernels' pool; oneDNN itself stays single-threaded). Set once at
    /// start-up from `STMD_THREADS`.
    public static var threadCount: Int {
        get { FusedKernels.poolThreads }
        set { stm_pool_set_threads(Int32(max(1, newValue))) }
    }

    /// Applies `STMD_THREADS` from the environment (or 1), and returns the count in force.
    @discardableResult
    public static func configureThreadsFromEnvironment(_ environment: [String: String]) -> Int {
        let requested = environment["STMD_THREADS"].flatMap(Int.init) ?? 1
        threadCount = requested
        return threadCount
    }
}
