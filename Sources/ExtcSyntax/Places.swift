/// Sorted lists of places: indices into the per-file or per-server arrays a watch keeps between
/// builds, marking those of some kind (with diagnostics, reading files, ...).
extension Array where Element == Int {
    /// This sorted list with the places in `gone` taken out and those in `new` put in; sorted.
    /// `new` is sorted (a build's changed places, in order, filtered).
    public func places<P: Collection<Int>>(without gone: P, adding new: [Int]) -> [Int] {
        if isEmpty { return new }
        let out = Set(gone)
        return (filter { !out.contains($0) } + new).sorted()
    }
}
