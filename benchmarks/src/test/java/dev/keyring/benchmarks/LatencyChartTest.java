package dev.keyring.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** The latency chart is well-formed SVG with one line per statistic, the mark and the failures. */
class LatencyChartTest {
  private static final long MS = 1_000_000L;

  private static Document parse(String svg) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(new InputSource(new StringReader(svg)));
  }

  @Test
  void drawsThreeLines_theMark_andOneTickPerFailure() throws Exception {
    List<LatencyChart.Point> points = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      long start = i * 10 * MS; // 10 s of points, 100 per second
      long latency = (i >= 300 && i < 320) ? 900 * MS : 2 * MS; // a spike after the kill
      points.add(new LatencyChart.Point(start, latency, i == 305 || i == 306));
    }
    String svg =
        LatencyChart.svg(
            "a <test> & run",
            points,
            10_000 * MS,
            250 * MS,
            List.of(new LatencyChart.Mark(3_000 * MS, "kill -9")));
    Document d = parse(svg);
    assertEquals("svg", d.getDocumentElement().getTagName());
    NodeList paths = d.getElementsByTagName("path");
    assertEquals(3, paths.getLength(), "p50, p99 and max");
    for (int i = 0; i < paths.getLength(); i++) {
      String path = ((Element) paths.item(i)).getAttribute("d");
      assertTrue(path.startsWith("M"), path);
      assertEquals(40, path.split("[ML]").length - 1, "one point per 250 ms bin: " + path);
    }
    assertTrue(svg.contains("kill -9"), "the mark is labelled");
    assertTrue(svg.contains("failed: 2"), "the failures are counted");
    assertTrue(svg.contains("a &lt;test&gt; &amp; run"), "the title is escaped");
    assertTrue(svg.contains(">1000 ms<"), "the axis reaches the spike's decade");
  }

  @Test
  void refusesAnEmptySpan() {
    assertThrows(
        IllegalArgumentException.class, () -> LatencyChart.svg("x", List.of(), 0, MS, List.of()));
  }
}
