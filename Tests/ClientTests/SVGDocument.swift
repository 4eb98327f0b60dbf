// SVGDocument: the timeline tests' reader for the client's SVG output.
//
// It parses with Foundation's XMLParser (FoundationXML on Linux) and keeps every element with its
// attributes and text, so a test can ask "the rect with class session in the second client
// group" and compare coordinates. On Linux, XMLDocument quietly repairs broken markup, and
// XMLParser.parse() can return true after an error, so well-formedness is judged by
// `parserError` as well: any error at all and `parse` throws.

#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation

struct SVGElement {
    let name: String
    /// The namespace the element is in; an SVG's elements must be in the SVG namespace.
    let namespace: String?
    let attributes: [String: String]
    var text = ""
    /// Index of the enclosing element in `SVGDocument.elements`, nil for the root.
    let parent: Int?

    func number(_ attribute: String) -> Double? {
        attributes[attribute].flatMap(Double.init)
    }

    var cssClass: String? { attributes["class"] }
}

struct SVGDocument {
    struct NotWellFormed: Error, CustomStringConvertible {
        let description: String
    }

    /// Every element in document order; `elements[0]` is the root.
    let elements: [SVGElement]

    init(parsing text: String) throws {
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldProcessNamespaces = true
        let collector = Collector()
        parser.delegate = collector
        let finished = parser.parse()
        if !finished || parser.parserError != nil {
            throw NotWellFormed(description: "not well-formed XML: \(String(describing: parser.parserError)) near line \(parser.lineNumber)")
        }
        guard !collector.elements.isEmpty else { throw NotWellFormed(description: "no elements") }
        elements = collector.elements
    }

    var root: SVGElement { elements[0] }

    /// Elements with the given name and, if given, class, in document order.
    func all(_ name: String, class cssClass: String? = nil) -> [SVGElement] {
        elements.filter { $0.name == name && (cssClass == nil || $0.cssClass == cssClass) }
    }

    /// The children of the element at `index`.
    func children(of index: Int) -> [SVGElement] {
        elements.filter { $0.parent == index }
    }

    func indices(of name: String, class cssClass: String) -> [Int] {
        elements.indices.filter { elements[$0].name == name && elements[$0].cssClass == cssClass }
    }
}

/// XMLParser's delegate, collecting elements as they open and close.
private final class Collector: NSObject, XMLParserDelegate {
    var elements: [SVGElement] = []
    private var open: [Int] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        elements.append(SVGElement(
            name: elementName, namespace: namespaceURI, attributes: attributeDict, parent: open.last))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let current = open.last { elements[current].text += string }
    }
}
