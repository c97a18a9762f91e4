/// A YAML/JSON value whose maps keep the order they were built in. Emitters print keys in exactly
/// this order, so output never depends on hashing.
public indirect enum Node: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([Node])
    case map([Field])

    public struct Field: Sendable, Equatable {
        public let key: String
        public let value: Node

        public init(_ key: String, _ value: Node) {
            self.key = key
            self.value = value
        }
    }

    /// The value at `key` of a map (the first, if a key repeats); nil for other nodes.
    public subscript(key: String) -> Node? {
        guard case .map(let fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }

    /// Follows a dotted path of map keys: `node["spec.template.spec"]`.
    public func at(_ path: String) -> Node? {
        path.split(separator: ".").reduce(Optional(self)) { $0?[String($1)] }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var intValue: Int? { if case .int(let i) = self { return i } else { return nil } }
    public var listValue: [Node] { if case .list(let l) = self { return l } else { return [] } }
    public var fields: [Field] { if case .map(let f) = self { return f } else { return [] } }
}

extension Node: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral s: String) { self = .string(s) }
    public init(integerLiteral i: Int) { self = .int(i) }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
    public init(arrayLiteral items: Node...) { self = .list(items) }
    /// Keeps the literal's order (a variadic list, not a Dictionary).
    public init(dictionaryLiteral pairs: (String, Node)...) { self = .map(pairs.map { Field($0.0, $0.1) }) }
}

extension Node {
    /// A map from ordered pairs, leaving out pairs whose value is nil, an empty map or an empty list:
    /// the API server drops those, and a GitOps tool would then see a perpetual diff.
    public static func compact(_ pairs: [(String, Node?)]) -> Node {
        .map(pairs.compactMap { key, value in
            guard let value else { return nil }
            switch value {
            case .map(let f) where f.isEmpty: return nil
            case .list(let l) where l.isEmpty: return nil
            default: return Field(key, value)
            }
        })
    }

    /// A string-to-string map in the given order.
    public static func strings(_ pairs: [(String, String)]) -> Node {
        .map(pairs.map { Field($0.0, .string($0.1)) })
    }
}
