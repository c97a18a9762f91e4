/// A plain-text table whose columns are padded to their widest cell (Markdown-compatible, so a
/// report pastes straight into an issue or the README).
struct Table {
    let header: [String]
    private(set) var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ cells: String...) {
        precondition(cells.count == header.count, "row width must match the header")
        rows.append(cells)
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// Prints a section heading and a table.
func report(_ title: String, _ table: Table, notes: [String] = []) {
    print("\n## \(title)\n")
    print(table.render())
    for note in notes { print("\n" + note) }
}
