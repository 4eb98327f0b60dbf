// SVGChart: a line chart written as plain SVG text, for the figures in the chapters.
//
// One chart, several series (one per server), each a line through its points with a marker on
// every point, so a series with a single point (the sequential server measured at one client)
// still shows. Axes carry their unit in the label, ticks are round numbers, and an axis whose
// data spans two decades or more switches to a log scale and says so. The legend names every
// series; the notes under the plot say where and when the numbers were taken. No library: the
// format is text, and writing it by hand keeps Bench's dependencies to the histogram.

import Foundation

struct SVGChart {
    enum Scale: Equatable {
        case linear
        case logarithmic
        /// Logarithmic when every value is positive and the largest is at least 100 times the
        /// smallest; linear otherwise.
        case automatic
    }

    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    struct Series {
        var name: String
        var points: [Point]
        /// Which colour and dash the series wears; nil: its place in `series`. Charts of the
        /// same servers set it, so a server keeps its colour in every chart, even one that
        /// leaves another server out.
        var style: Int? = nil
    }

    var title: String
    /// The x axis label with its unit, e.g. `concurrent clients`.
    var xLabel: String
    /// The y axis label with its unit, e.g. `p99 latency (ms)`.
    var yLabel: String
    var xScale = Scale.automatic
    var yScale = Scale.automatic
    var series: [Series] = []
    /// Lines under the plot: the machine and date, the command that made the data.
    var notes: [String] = []

    static let width = 940.0
    static let plotLeft = 90.0
    static let plotTop = 56.0
    static let plotWidth = 520.0
    static let plotHeight = 320.0
    /// Okabe–Ito colours: distinguishable with the common kinds of colour blindness.
    static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4"]

    // MARK: Rendering

    func render() -> String {
        let points = series.flatMap(\.points)
        let xAxis = Axis(values: points.map(\.x), scale: xScale, length: Self.plotWidth)
        let yAxis = Axis(values: points.map(\.y), scale: yScale, length: Self.plotHeight)
        let height = Self.plotTop + Self.plotHeight + 70 + Double(notes.count) * 16
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(Self.width))" height="\(n(height))" \
            viewBox="0 0 \(n(Self.width)) \(n(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
            <title>\(escape(title))</title>
            <desc>\(escape(notes.joined(separator: "; ")))</desc>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(n(Self.width / 2))" y="28" text-anchor="middle" font-size="17" font-weight="bold">\(escape(title))</text>

            """
        svg += grid(xAxis: xAxis, yAxis: yAxis)
        svg += axisLabels(xAxis: xAxis, yAxis: yAxis)
        for (index, line) in series.enumerated() {
            svg += seriesGroup(line, index: index, xAxis: xAxis, yAxis: yAxis)
        }
        svg += legend()
        for (index, note) in notes.enumerated() {
            let y = Self.plotTop + Self.plotHeight + 64 + Double(index) * 16
            svg += "<text class=\"note\" x=\"\(n(Self.plotLeft))\" y=\"\(n(y))\" font-size=\"11\" fill=\"#444\">\(escape(note))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    func write(to path: String) throws {
        try render().write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func grid(xAxis: Axis, yAxis: Axis) -> String {
        let left = Self.plotLeft, top = Self.plotTop, right = left + Self.plotWidth, bottom = top + Self.plotHeight
        var svg = "<g class=\"grid\" stroke=\"#ddd\" stroke-width=\"1\">\n"
        for tick in xAxis.ticks {
            let x = left + xAxis.position(tick)
            svg += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(bottom))\"/>\n"
        }
        for tick in yAxis.ticks {
            let y = bottom - yAxis.position(tick)
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(right))\" y2=\"\(n(y))\"/>\n"
        }
        svg += "</g>\n"
        svg += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(Self.plotWidth))\" height=\"\(n(Self.plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<g class=\"ticks\" fill=\"#222\">\n"
        for tick in xAxis.ticks {
            let x = left + xAxis.position(tick)
            svg += "<text x=\"\(n(x))\" y=\"\(n(bottom + 18))\" text-anchor=\"middle\">\(escape(Axis.label(tick)))</text>\n"
        }
        for tick in yAxis.ticks {
            let y = bottom - yAxis.position(tick)
            svg += "<text x=\"\(n(left - 8))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(escape(Axis.label(tick)))</text>\n"
        }
        svg += "</g>\n"
        return svg
    }

    private func axisLabels(xAxis: Axis, yAxis: Axis) -> String {
        let xText = xLabel + (xAxis.logarithmic ? " (log scale)" : "")
        let yText = yLabel + (yAxis.logarithmic ? " (log scale)" : "")
        let centreX = Self.plotLeft + Self.plotWidth / 2
        let centreY = Self.plotTop + Self.plotHeight / 2
        return """
            <text class="x-label" x="\(n(centreX))" y="\(n(Self.plotTop + Self.plotHeight + 42))" text-anchor="middle">\(escape(xText))</text>
            <text class="y-label" x="22" y="\(n(centreY))" text-anchor="middle" transform="rotate(-90 22 \(n(centreY)))">\(escape(yText))</text>

            """
    }

    private func seriesGroup(_ line: Series, index: Int, xAxis: Axis, yAxis: Axis) -> String {
        let style = line.style ?? index
        let colour = Self.colours[style % Self.colours.count]
        let dash = Self.dashes[style % Self.dashes.count]
        let bottom = Self.plotTop + Self.plotHeight
        let coordinates = line.points.map { (Self.plotLeft + xAxis.position($0.x), bottom - yAxis.position($0.y)) }
        var svg = "<g class=\"series\" data-name=\"\(escape(line.name))\" stroke=\"\(colour)\" fill=\"\(colour)\">\n"
        if coordinates.count > 1 {
            let path = coordinates.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke-width=\"2.5\"\(dashAttribute)/>\n"
        }
        for (point, (x, y)) in zip(line.points, coordinates) {
            svg += "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4\" data-x=\"\(point.x)\" data-y=\"\(point.y)\"/>\n"
        }
        svg += "</g>\n"
        return svg
    }

    private func legend() -> String {
        let left = Self.plotLeft + Self.plotWidth + 24
        var svg = "<g class=\"legend\">\n"
        for (index, line) in series.enumerated() {
            let style = line.style ?? index
            let colour = Self.colours[style % Self.colours.count]
            let dash = Self.dashes[style % Self.dashes.count]
            let y = Self.plotTop + 10 + Double(index) * 22
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + 28))\" y2=\"\(n(y))\" stroke=\"\(colour)\" stroke-width=\"2.5\"\(dashAttribute)/>\n"
            svg += "<circle cx=\"\(n(left + 14))\" cy=\"\(n(y))\" r=\"4\" fill=\"\(colour)\"/>\n"
            svg += "<text x=\"\(n(left + 36))\" y=\"\(n(y + 4))\">\(escape(line.name))</text>\n"
        }
        svg += "</g>\n"
        return svg
    }

    /// A coordinate with at most one decimal.
    private func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension SVGChart {
    /// Maps data values to distances along one axis, and chooses the round numbers to mark.
    struct Axis {
        let logarithmic: Bool
        let low: Double
        let high: Double
        let ticks: [Double]
        let length: Double

        init(values: [Double], scale: Scale, length: Double) {
            self.length = length
            let finite = values.filter { $0.isFinite }
            let smallest = finite.min() ?? 0
            let largest = finite.max() ?? 1
            switch scale {
            case .logarithmic: logarithmic = smallest > 0
            case .linear: logarithmic = false
            case .automatic: logarithmic = smallest > 0 && largest / smallest >= 100
            }
            if logarithmic {
                let lowExponent = floor(log10(smallest))
                var highExponent = ceil(log10(largest))
                if highExponent == lowExponent { highExponent += 1 }
                low = pow(10, lowExponent)
                high = pow(10, highExponent)
                let decades = Int(highExponent - lowExponent)
                let multiples: [Double] = decades <= 2 ? [1, 2, 5] : [1]
                var ticks: [Double] = []
                for exponent in Int(lowExponent)...Int(highExponent) {
                    for multiple in multiples {
                        let tick = multiple * pow(10, Double(exponent))
                        if tick <= high * 1.0001 { ticks.append(tick) }
                    }
                }
                self.ticks = ticks
            } else {
                let top = largest > 0 ? largest : 1
                let step = Self.niceStep(top / 5)
                low = 0
                high = (top / step).rounded(.up) * step
                ticks = stride(from: 0.0, through: high + step / 2, by: step).map { $0 }
            }
        }

        /// Distance from the axis origin, 0...length.
        func position(_ value: Double) -> Double {
            if logarithmic {
                let clamped = max(value, low)
                return (log10(clamped) - log10(low)) / (log10(high) - log10(low)) * length
            }
            return (value - low) / (high - low) * length
        }

        /// 1, 2 or 5 times a power of ten, at least `rough`.
        static func niceStep(_ rough: Double) -> Double {
            let magnitude = pow(10, floor(log10(rough)))
            for multiple in [1.0, 2, 5, 10] where multiple * magnitude >= rough { return multiple * magnitude }
            return 10 * magnitude
        }

        /// `0.5`, `20`, `1k`, `250k`, `2M`: short labels for round numbers.
        static func label(_ value: Double) -> String {
            if value >= 1_000_000 && value.truncatingRemainder(dividingBy: 1_000_000) == 0 {
                return "\(Units.count(Int(value / 1_000_000)))M"
            }
            if value >= 1_000 && value.truncatingRemainder(dividingBy: 1_000) == 0 {
                return "\(Units.count(Int(value / 1_000)))k"
            }
            if value >= 1 && value == value.rounded() { return Units.count(Int(value)) }
            return String(format: "%g", value)
        }
    }
}
