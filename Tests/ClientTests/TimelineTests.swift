// TimelineTests: the chart every chapter opens with is a valid SVG that draws the times it is given.
//
// The positions are checked against the chart's own axis: a bar that starts at 2 s must start
// exactly where the tick labelled "2" is, so a wrong scale, a swapped time or a missing row fails.

import Testing
@testable import Client

/// A staircase, as the sequential server draws it: each client is greeted when the previous leaves.
private let staircase = Timeline(title: "3 clients against 127.0.0.1:9090", rows: [
    .init(label: "conn1", times: SessionTimes(arrived: 0, greeted: 0, departed: 2)),
    .init(label: "conn2", times: SessionTimes(arrived: 0, greeted: 2, departed: 4)),
    .init(label: "conn3", times: SessionTimes(arrived: 0.5, greeted: 4, departed: 6)),
])

@Suite struct TimelineTests {
    @Test func theReaderRejectsMalformedMarkup() {
        // The checks below lean on SVGDocument refusing broken XML; prove that it does.
        #expect(throws: SVGDocument.NotWellFormed.self) { try SVGDocument(parsing: "<svg><g></svg>") }
        #expect(throws: SVGDocument.NotWellFormed.self) { try SVGDocument(parsing: "<svg>&</svg>") }
        #expect(throws: SVGDocument.NotWellFormed.self) { try SVGDocument(parsing: "<svg x=1/>") }
    }

    @Test func isAStandaloneSVGDocument() throws {
        let text = staircase.svg()
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
        let svg = try SVGDocument(parsing: text)
        #expect(svg.root.name == "svg")
        #expect(svg.root.namespace == "http://www.w3.org/2000/svg")
        let width = try #require(svg.root.number("width"))
        let height = try #require(svg.root.number("height"))
        #expect(width > 0 && height > 0)
        #expect(svg.root.attributes["viewBox"] == "0 0 \(staircase.fixed(width, 2)) \(staircase.fixed(height, 2))")
        // Every element is an SVG element, not something a browser would ignore.
        #expect(svg.elements.allSatisfy { $0.namespace == "http://www.w3.org/2000/svg" })
    }

    @Test func hasAWhiteBackgroundCoveringTheCanvas() throws {
        let svg = try SVGDocument(parsing: staircase.svg())
        let background = try #require(svg.elements.dropFirst().first)  // drawn first, under everything
        #expect(background.name == "rect")
        #expect(background.attributes["fill"] == "white")
        #expect(background.number("x") == 0 && background.number("y") == 0)
        #expect(background.number("width") == svg.root.number("width"))
        #expect(background.number("height") == svg.root.number("height"))
    }

    @Test func showsTheTitleAndAnAxisLabel() throws {
        let svg = try SVGDocument(parsing: staircase.svg())
        #expect(svg.all("text", class: "title").map(\.text) == ["3 clients against 127.0.0.1:9090"])
        #expect(svg.all("text", class: "axis-label").first?.text.contains("seconds") == true)
    }

    @Test func drawsOneLabelledRowPerClient() throws {
        let svg = try SVGDocument(parsing: staircase.svg())
        let groups = svg.indices(of: "g", class: "client")
        #expect(groups.count == 3)
        for (row, group) in groups.enumerated() {
            let parts = svg.children(of: group)
            #expect(parts.filter { $0.cssClass == "session" && $0.name == "rect" }.count == 1)
            #expect(parts.filter { $0.cssClass == "arrival" && $0.name == "polygon" }.count == 1)
            #expect(parts.filter { $0.cssClass == "wait" && $0.name == "line" }.count == 1)
            #expect(parts.filter { $0.cssClass == "label" }.map(\.text) == ["conn\(row + 1)"])
        }
    }

    @Test func givesEachClientItsOwnColour() throws {
        let many = Timeline(title: "many", rows: (0..<40).map { index in
            .init(label: "conn\(index + 1)", times: SessionTimes(arrived: 0, greeted: Double(index) * 0.1, departed: 5))
        })
        let svg = try SVGDocument(parsing: many.svg())
        let fills = svg.all("rect", class: "session").compactMap { $0.attributes["fill"] }
        #expect(fills.count == 40)
        #expect(Set(fills).count == 40)
        // The diamond wears its row's colour, tying the arrival to the session.
        #expect(svg.all("polygon", class: "arrival").compactMap { $0.attributes["fill"] } == fills)
    }

    @Test func placesBarsDiamondsAndWaitLinesOnTheTimeAxis() throws {
        let svg = try SVGDocument(parsing: staircase.svg())
        // Where the axis says each whole second is (NaN, failing every comparison, if missing).
        var tickX: [Int: Double] = [:]
        for label in svg.all("text", class: "tick-label") { tickX[Int(label.text) ?? -1] = label.number("x") }
        #expect(tickX.keys.sorted() == Array(0...6))
        func at(_ second: Int) -> Double { tickX[second] ?? .nan }

        let bars = svg.all("rect", class: "session")
        let expectedSpans = [(0, 2), (2, 4), (4, 6)]
        #expect(bars.count == expectedSpans.count)
        for (bar, (start, end)) in zip(bars, expectedSpans) {
            let x = try #require(bar.number("x"))
            let width = try #require(bar.number("width"))
            #expect(abs(x - at(start)) < 0.01)
            #expect(abs(x + width - at(end)) < 0.01)
        }

        // Diamonds: centred on the arrival time (0, 0, and half-way between 0 and 1).
        let centres = try svg.all("polygon", class: "arrival").map { try diamondCentre($0) }
        let arrivals = [at(0), at(0), (at(0) + at(1)) / 2]
        #expect(centres.count == 3)
        for (centre, arrival) in zip(centres, arrivals) { #expect(abs(centre.x - arrival) < 0.01) }

        // Wait lines: from arrival to greeting, at the height of their row's bar.
        let waits = svg.all("line", class: "wait")
        for (index, (wait, bar)) in zip(waits, bars).enumerated() {
            #expect(abs((wait.number("x1") ?? -1) - arrivals[index]) < 0.01)
            #expect(abs((wait.number("x2") ?? -1) - (bar.number("x") ?? -2)) < 0.01)
            let barMiddle = (bar.number("y") ?? 0) + (bar.number("height") ?? 0) / 2
            #expect(abs((wait.number("y1") ?? -1) - barMiddle) < 0.01)
            #expect(abs(centres[index].y - barMiddle) < 0.01)
        }

        // Rows go down the page in client order, without overlapping.
        let tops = bars.compactMap { $0.number("y") }
        #expect(tops == tops.sorted() && Set(tops).count == 3)
    }

    @Test(arguments: [0.004, 0.9, 2.04, 6.007, 37.5, 480.0])
    func axisCoversTheLastDepartureWithFewRoundTicks(latest: Double) throws {
        let chart = Timeline(title: "t", rows: [
            .init(label: "conn1", times: SessionTimes(arrived: 0, greeted: latest / 2, departed: latest)),
        ])
        let svg = try SVGDocument(parsing: chart.svg())
        let ticks = svg.all("text", class: "tick-label").compactMap { Double($0.text) }
        #expect(ticks.first == 0)
        let last = try #require(ticks.last)
        #expect(last >= latest)
        #expect((3...11).contains(ticks.count), "ticks: \(ticks)")
        // The bar ends inside the axis.
        let bar = try #require(svg.all("rect", class: "session").first)
        let axisEndX = try #require(svg.all("text", class: "tick-label").last?.number("x"))
        #expect((bar.number("x") ?? 0) + (bar.number("width") ?? 0) <= axisEndX + 0.01)
    }

    @Test func escapesTextSoAnyTitleOrLabelStaysWellFormed() throws {
        let chart = Timeline(title: "a < b & \"c\" > 'd'", rows: [
            .init(label: "<conn&1>", times: SessionTimes(arrived: 0, greeted: 0.1, departed: 1)),
        ])
        let svg = try SVGDocument(parsing: chart.svg())
        #expect(svg.all("text", class: "title").first?.text == "a < b & \"c\" > 'd'")
        #expect(svg.all("text", class: "label").first?.text == "<conn&1>")
    }

    @Test func fixedPointFormatting() {
        let chart = staircase
        #expect(chart.fixed(2, 0) == "2")
        #expect(chart.fixed(0.5, 1) == "0.5")
        #expect(chart.fixed(0.05, 2) == "0.05")
        #expect(chart.fixed(123.456, 2) == "123.46")
        #expect(chart.fixed(-1.5, 1) == "-1.5")
        #expect(chart.fixed(0.30000000000000004, 1) == "0.3")
    }
}

/// The centre of a four-point diamond `"x,y x,y x,y x,y"`.
private func diamondCentre(_ polygon: SVGElement) throws -> (x: Double, y: Double) {
    let points = try #require(polygon.attributes["points"]).split(separator: " ").map { pair in
        pair.split(separator: ",").compactMap { Double($0) }
    }
    try #require(points.count == 4 && points.allSatisfy { $0.count == 2 })
    return (points.map { $0[0] }.reduce(0, +) / 4, points.map { $0[1] }.reduce(0, +) / 4)
}
