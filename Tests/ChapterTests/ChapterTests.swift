// ChapterTests: the code a chapter shows is the code that runs, and every link leads somewhere.
//
// A chapter never pastes code by hand. It names a region of a source file with a marker,
//     <!-- snippet: Sources/Part2Threaded/main.swift#accept-loop -->
// followed by a fenced code block, and the source file brackets the region with
//     // snippet: accept-loop   ...   // end snippet
// These tests cut every region out of its source (dedented by its common indentation) and
// demand that the chapter's block is identical, so a chapter cannot drift from the code.
// They also follow every relative link and image in the chapters and the READMEs.

import Foundation
import Testing

/// The repository root, found from this file's path: Tests/ChapterTests/ChapterTests.swift.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Every markdown page a reader follows: the README, the chapters, the exercises' README.
func markdownPages() -> [String] {
    let chapters = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Chapters").path)) ?? []
    let chapterPages = chapters.filter { $0.hasSuffix(".md") }.sorted().map { "Chapters/\($0)" }
    return ["README.md", "exercises/README.md"] + chapterPages
}

func read(_ relativePath: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(relativePath), encoding: .utf8)
}

/// A `<!-- snippet: PATH#NAME -->` marker and the fenced block after it.
struct SnippetUse {
    var page: String
    var line: Int
    var sourcePath: String
    var name: String
    var block: [String]?  // nil when no fenced block follows the marker
}

func snippetUses(in page: String, text: String) -> [SnippetUse] {
    let lines = text.components(separatedBy: "\n")
    var uses: [SnippetUse] = []
    var index = 0
    while index < lines.count {
        let line = lines[index].trimmingCharacters(in: .whitespaces)
        guard line.hasPrefix("<!-- snippet:"), line.hasSuffix("-->") else {
            index += 1
            continue
        }
        let reference = line.dropFirst("<!-- snippet:".count).dropLast("-->".count)
            .trimmingCharacters(in: .whitespaces)
        let parts = reference.split(separator: "#", maxSplits: 1).map(String.init)
        var use = SnippetUse(page: page, line: index + 1, sourcePath: parts[0],
                             name: parts.count > 1 ? parts[1] : "", block: nil)
        var cursor = index + 1
        while cursor < lines.count, lines[cursor].trimmingCharacters(in: .whitespaces).isEmpty { cursor += 1 }
        if cursor < lines.count, lines[cursor].hasPrefix("```") {
            var block: [String] = []
            cursor += 1
            while cursor < lines.count, !lines[cursor].hasPrefix("```") {
                block.append(lines[cursor])
                cursor += 1
            }
            use.block = block
        }
        uses.append(use)
        index = cursor + 1
    }
    return uses
}

/// The lines between `snippet: name` and `end snippet` (after `//`, `#`, `;` or `@` comment
/// leaders, so assembly files can carry markers too), dedented. Nil if the region is missing.
func sourceRegion(named name: String, in source: String) -> [String]? {
    let lines = source.components(separatedBy: "\n")
    func marker(_ line: String) -> String? {
        var text = Substring(line.trimmingCharacters(in: .whitespaces))
        for leader in ["//", "#", ";", "@"] where text.hasPrefix(leader) {
            text = text.dropFirst(leader.count)
            return text.trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
    guard let start = lines.firstIndex(where: { marker($0) == "snippet: \(name)" }) else { return nil }
    guard let end = lines[(start + 1)...].firstIndex(where: { marker($0) == "end snippet" }) else { return nil }
    let region = Array(lines[(start + 1)..<end])
    let indents = region.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        .map { $0.prefix { $0 == " " }.count }
    let indent = indents.min() ?? 0
    return region.map { $0.count >= indent ? String($0.dropFirst(indent)) : $0.trimmingCharacters(in: .whitespaces) }
}

@Suite("Chapters")
struct ChapterTests {
    @Test("every snippet marker resolves and matches its source region", arguments: markdownPages())
    func snippetsMatchSources(page: String) throws {
        let text = try read(page)
        for use in snippetUses(in: page, text: text) {
            let location = "\(page):\(use.line) (\(use.sourcePath)#\(use.name))"
            guard let block = use.block else {
                Issue.record("\(location): no fenced code block follows the snippet marker")
                continue
            }
            guard let source = try? read(use.sourcePath) else {
                Issue.record("\(location): source file does not exist")
                continue
            }
            guard let region = sourceRegion(named: use.name, in: source) else {
                Issue.record("\(location): no '// snippet: \(use.name)' ... '// end snippet' region in the source")
                continue
            }
            #expect(block == region, "\(location): the chapter's block differs from the source region")
        }
    }

    @Test("the chapters show code cut from the sources")
    func chaptersUseSnippets() throws {
        let count = try markdownPages().filter { $0.hasPrefix("Chapters/") }
            .map { snippetUses(in: $0, text: try read($0)).count }.reduce(0, +)
        #expect(count >= 10, "expected the chapters to show at least ten checked snippets, found \(count)")
    }

    @Test("every relative link and image points at a file that exists", arguments: markdownPages())
    func relativeLinksResolve(page: String) throws {
        let text = try read(page)
        let directory = URL(fileURLWithPath: page).deletingLastPathComponent().relativePath
        let markdownLink = try Regex(#"\]\(([^)\s]+)(?:\s+"[^"]*")?\)"#)
        let htmlSource = try Regex(#"(?:src|href)="([^"]+)""#)
        var targets: [String] = []
        for match in text.matches(of: markdownLink) { targets.append(String(match.output[1].substring ?? "")) }
        for match in text.matches(of: htmlSource) { targets.append(String(match.output[1].substring ?? "")) }
        for target in targets {
            if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:")
                || target.hasPrefix("#") { continue }
            let path = String(target.split(separator: "#", maxSplits: 1).first ?? "")
            let resolved = directory == "." ? path : "\(directory)/\(path)"
            let exists = FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(resolved).path)
            #expect(exists, "\(page): link '\(target)' points at \(resolved), which does not exist")
        }
    }
}

@Suite("The snippet checker itself")
struct SnippetCheckerTests {
    @Test func cutsAndDedentsARegion() {
        let source = "a\n    // snippet: x\n    let y = 1\n      z()\n    // end snippet\nb"
        #expect(sourceRegion(named: "x", in: source) == ["let y = 1", "  z()"])
        #expect(sourceRegion(named: "missing", in: source) == nil)
    }

    @Test func findsAssemblyMarkers() {
        let source = "# snippet: switch\n    movq %rsp, (%rdi)\n# end snippet\n"
        #expect(sourceRegion(named: "switch", in: source) == ["movq %rsp, (%rdi)"])
    }

    @Test func readsMarkersAndBlocks() {
        let page = "text\n<!-- snippet: Sources/A.swift#x -->\n```swift\nlet y = 1\n```\n<!-- snippet: B#y -->\nno block\n"
        let uses = snippetUses(in: "p.md", text: page)
        #expect(uses.count == 2)
        #expect(uses[0].sourcePath == "Sources/A.swift" && uses[0].name == "x" && uses[0].block == ["let y = 1"])
        #expect(uses[1].block == nil)
    }
}
