// Timeline: the picture at the top of every chapter, drawn from a real run of the client.
//
// One row per client: a diamond when it arrived, a thin black line while it waited for the server
// to greet it, and a coloured bar while the server talked to it, up to its disconnect. Against the
// sequential server the bars form a staircase; against the threaded one they stack up side by
// side. `svg()` is a pure function of the times, so tests can check the drawing without a server.

/// A chart of client sessions over time, written as a standalone SVG document.
struct Timeline: Sendable {
    struct Row: Sendable, Equatable {
        /// The client's name, drawn left of its row.
        var label: String
        var times: SessionTimes
    }

    var title: String
    var rows: [Row]

    init(title: String, rows: [Row]) {
        self.title = title
        self.rows = rows
    }

    // MARK: Layout (points; the SVG's user units)

    let width = 880.0
    let plotLeft = 90.0
    let plotRight = 850.0
    let plotTop = 56.0

    /// Tall rows for a handful of clients, thinner ones so a hundred still fit a screen.
    var rowHeight: Double { rows.count <= 20 ? 30 : max(4, 600 / Double(rows.count)) }
    var axisY: Double { plotTop + Double(rows.count) * rowHeight + 8 }
    var height: Double { axisY + 92 }

    /// The time axis runs from 0 to `axisEnd` seconds, with a tick every `tickStep`.
    var tickStep: Double {
        let latest = rows.map(\.times.departed).max() ?? 0
        let span = max(latest, 0.001)
        var magnitude = 1.0
        while magnitude * 10 <= span { magnitude *= 10 }
        while magnitude > span { magnitude /= 10 }
        // The smallest of 1, 2, 5 (times a power of ten) giving at most 10 intervals.
        for factor in [0.1, 0.2, 0.5, 1, 2, 5, 10] where span / (magnitude * factor) <= 10 {
            return magnitude * factor
        }
        return magnitude * 10
    }

    var axisEnd: Double {
        let latest = rows.map(\.times.departed).max() ?? 0
        return max(1, (latest / tickStep).rounded(.up)) * tickStep
    }

    /// Where `seconds` falls on the x axis.
    func x(_ seconds: Double) -> Double {
        plotLeft + seconds / axisEnd * (plotRight - plotLeft)
    }

    /// The vertical centre of row `index`.
    func y(row index: Int) -> Double {
        plotTop + (Double(index) + 0.5) * rowHeight
    }

    /// A distinct colour per client: the ten "Tableau" colours, then hues a golden angle apart.
    static func colour(_ index: Int) -> String {
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        if index < palette.count { return palette[index] }
        let hue = (Double(index) * 137.508).truncatingRemainder(dividingBy: 360)
        return "hsl(\(Int(hue)),65%,45%)"
    }

    // MARK: Drawing

    /// The whole chart as an SVG document.
    func svg() -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" \
            viewBox="0 0 \(n(width)) \(n(height))" font-family="sans-serif" font-size="13">
            <rect class="background" x="0" y="0" width="\(n(width))" height="\(n(height))" fill="white"/>
            <text class="title" x="\(n(width / 2))" y="30" text-anchor="middle" font-size="17" \
            font-weight="bold">\(escaped(title))</text>

            """
        out += drawAxis()
        for (index, row) in rows.enumerated() {
            out += drawRow(row, index: index)
        }
        out += drawLegend()
        out += "</svg>\n"
        return out
    }

    private func drawAxis() -> String {
        let rowsBottom = axisY - 8
        var out = "<g class=\"axis\">\n"
        out += "<line x1=\"\(n(plotLeft))\" y1=\"\(n(axisY))\" x2=\"\(n(plotRight))\" y2=\"\(n(axisY))\" stroke=\"black\"/>\n"
        let ticks = Int((axisEnd / tickStep).rounded())
        // As many decimals as the step needs: 1 → "2", 0.5 → "2.5", 0.05 → "0.15".
        var decimals = 0
        var scaled = tickStep
        while decimals < 6 && abs(scaled - scaled.rounded()) > 1e-6 * max(1, scaled) {
            decimals += 1
            scaled *= 10
        }
        for tick in 0...ticks {
            let seconds = Double(tick) * tickStep
            let tickX = n(x(seconds))
            // A faint grid line helps read a bar's start and end against the axis.
            out += "<line class=\"grid\" x1=\"\(tickX)\" y1=\"\(n(plotTop))\" x2=\"\(tickX)\" y2=\"\(n(rowsBottom))\" stroke=\"#e4e4e4\"/>\n"
            out += "<line class=\"tick\" x1=\"\(tickX)\" y1=\"\(n(axisY))\" x2=\"\(tickX)\" y2=\"\(n(axisY + 6))\" stroke=\"black\"/>\n"
            out += "<text class=\"tick-label\" x=\"\(tickX)\" y=\"\(n(axisY + 21))\" text-anchor=\"middle\">\(fixed(seconds, decimals))</text>\n"
        }
        out += "<text class=\"axis-label\" x=\"\(n((plotLeft + plotRight) / 2))\" y=\"\(n(axisY + 42))\" text-anchor=\"middle\">time since the clients started (seconds)</text>\n"
        out += "</g>\n"
        return out
    }

    private func drawRow(_ row: Row, index: Int) -> String {
        let centre = y(row: index)
        let barHeight = max(2, rowHeight * 0.55)
        let colour = Self.colour(index)
        let times = row.times
        var out = "<g class=\"client\">\n"
        out += "<title>\(escaped(row.label)): arrived \(fixed(times.arrived, 3)) s, greeted \(fixed(times.greeted, 3)) s, "
            + "left \(fixed(times.departed, 3)) s</title>\n"
        // With many thin rows, label every few so the names stay legible.
        let labelEvery = max(1, Int((13 / rowHeight).rounded(.up)))
        if index % labelEvery == 0 {
            out += "<text class=\"label\" x=\"\(n(plotLeft - 12))\" y=\"\(n(centre))\" text-anchor=\"end\" "
                + "dominant-baseline=\"central\">\(escaped(row.label))</text>\n"
        }
        out += "<line class=\"wait\" x1=\"\(n(x(times.arrived)))\" y1=\"\(n(centre))\" x2=\"\(n(x(times.greeted)))\" "
            + "y2=\"\(n(centre))\" stroke=\"black\" stroke-width=\"1.5\"/>\n"
        // At least one unit wide, so an instant session still shows.
        let barWidth = max(1, x(times.departed) - x(times.greeted))
        out += "<rect class=\"session\" x=\"\(n(x(times.greeted)))\" y=\"\(n(centre - barHeight / 2))\" "
            + "width=\"\(n(barWidth))\" height=\"\(n(barHeight))\" fill=\"\(colour)\"/>\n"
        out += "<polygon class=\"arrival\" points=\"\(diamond(atX: x(times.arrived), y: centre, radius: min(7, rowHeight * 0.4)))\" "
            + "fill=\"\(colour)\" stroke=\"black\" stroke-width=\"1\"/>\n"
        out += "</g>\n"
        return out
    }

    private func drawLegend() -> String {
        let legendY = axisY + 70
        var out = "<g class=\"legend\">\n"
        out += "<polygon points=\"\(diamond(atX: plotLeft + 6, y: legendY, radius: 6))\" fill=\"#999999\" stroke=\"black\"/>\n"
        out += "<text x=\"\(n(plotLeft + 18))\" y=\"\(n(legendY))\" dominant-baseline=\"central\">client arrives</text>\n"
        out += "<line x1=\"\(n(plotLeft + 150))\" y1=\"\(n(legendY))\" x2=\"\(n(plotLeft + 190))\" y2=\"\(n(legendY))\" stroke=\"black\" stroke-width=\"1.5\"/>\n"
        out += "<text x=\"\(n(plotLeft + 198))\" y=\"\(n(legendY))\" dominant-baseline=\"central\">waits for the server's greeting</text>\n"
        out += "<rect x=\"\(n(plotLeft + 430))\" y=\"\(n(legendY - 8))\" width=\"40\" height=\"16\" fill=\"#999999\"/>\n"
        out += "<text x=\"\(n(plotLeft + 478))\" y=\"\(n(legendY))\" dominant-baseline=\"central\">is served, until it disconnects</text>\n"
        out += "</g>\n"
        return out
    }

    private func diamond(atX x: Double, y: Double, radius r: Double) -> String {
        "\(n(x)),\(n(y - r)) \(n(x + r)),\(n(y)) \(n(x)),\(n(y + r)) \(n(x - r)),\(n(y))"
    }

    // MARK: Text

    /// A coordinate with at most two decimals, enough for any screen.
    private func n(_ value: Double) -> String {
        fixed(value, 2)
    }

    /// `value` with exactly `decimals` digits after the point (no Foundation needed).
    func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(scaled) }
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// `text` made safe to put between tags or in an attribute.
    func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
