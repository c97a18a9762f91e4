// The language's blocks and their fields, read from the checker's own field tables, so the README,
// the grammar and the editor grammar can be tested against what the checker accepts.

public enum Schema {
    /// Each block and its field names, in table order.
    public static let blocks: [(block: String, fields: [String])] = [
        ("apiserver", ServerChecker.fields.names),
        ("resource", ServerChecker.resourceFields.names),
        ("storage", ServerChecker.storageFields.names),
        ("certs", ServerChecker.certFields.names),
    ]

    /// Every block a field may stand in: the above and the blocks inside `apiserver` (for "a field
    /// of another block" help, and for the documentation tests).
    public static let allBlocks: [(block: String, fields: [String])] = blocks + [
        ("group", ServerChecker.groupFields.names), ("pod", ServerChecker.podFields.names),
        ("serving", ServerChecker.servingFields.names), ("volume", ServerChecker.volumeFields.names),
    ]

    /// The block (other than the one whose fields are `other`) that has a field `name`.
    static func blockHolding(_ name: String, other: [String]) -> String? {
        allBlocks.first { $0.fields.contains(name) && $0.fields != other }?.block
    }
}
