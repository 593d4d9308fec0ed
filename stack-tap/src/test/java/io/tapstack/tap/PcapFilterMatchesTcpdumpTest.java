package io.tapstack.tap;

import io.tapstack.testkit.SampleTraffic;
import io.tapstack.testkit.Tcpdump;
import io.tapstack.trace.BpfInterpreter;
import io.tapstack.trace.BpfProgram;
import io.tapstack.trace.PcapWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A filter in tcpdump's syntax, compiled by libpcap through {@link PcapFilterCompiler} and run by the Java
 * {@link BpfInterpreter}, keeps exactly the frames {@code tcpdump -r FILE EXPR} keeps from the same capture (a lab's
 * worth of ARP, ICMP, fragments, UDP, TCP with SACK, RST and odd hand-made frames). Frames are told apart by their
 * time: frame {@code i} is stamped {@code i} ms after the first.
 */
class PcapFilterMatchesTcpdumpTest
{
    private static final long FIRST_NS = 1_000_000_000_000L;
    private static List<SampleTraffic.Frame> frames;
    private static Path file;
    private static List<SampleTraffic.Frame> packets;
    private static Path rawFile;

    @TempDir
    static Path dir;

    @BeforeAll
    static void capture() throws Exception
    {
        Libpcap.require();
        Tcpdump.require();
        frames = new ArrayList<>();
        final List<SampleTraffic.Frame> sample = SampleTraffic.frames();
        for (int i = 0; i < sample.size(); i++)
        {
            final SampleTraffic.Frame f = sample.get(i);
            frames.add(new SampleTraffic.Frame(f.bytes(), FIRST_NS + i * 1_000_000L, f.fromA()));
        }
        file = SampleTraffic.writePcap(frames, dir.resolve("sample.pcap"));
        packets = SampleTraffic.rawIp(frames);
        rawFile = SampleTraffic.writePcap(packets, dir.resolve("raw.pcap"), PcapWriter.LINKTYPE_RAW);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "arp",
        "icmp",
        "tcp port 80",
        "udp and not port 53",
        "tcp[tcpflags] & tcp-syn != 0",
        "tcp[tcpflags] & (tcp-rst|tcp-fin) != 0",
        "host 10.0.0.1",
        "src host 10.0.0.2 and tcp",
        "len > 100",
        "less 64",
        "ip[6:2] & 0x1fff != 0",
        "icmp[icmptype] == icmp-echoreply",
        "udp port 9999 or icmp",
        "portrange 7-60",
        "ip proto 253",
        "ether broadcast",
        "not ip",
        "tcp and tcp[13] == 0x10 and len < 100",
    })
    void keepsTheFramesTcpdumpKeeps(final String expression) throws Exception
    {
        keepsWhatTcpdumpKeeps(expression, frames, file, false);
    }

    /** A TUN's frames (bare IP, LINKTYPE_RAW): the filter is compiled for DLT_RAW, its offsets from the IP header. */
    @ParameterizedTest
    @ValueSource(strings = {
        "icmp",
        "tcp port 80",
        "udp and not port 53",
        "tcp[tcpflags] & tcp-syn != 0",
        "dst host 10.0.0.1",
        "src host 10.0.0.2 and tcp",
        "len > 100",
        "ip[6:2] & 0x1fff != 0",
        "icmp[icmptype] == icmp-echoreply",
        "portrange 7-60",
        "ip proto 253",
    })
    void keepsThePacketsTcpdumpKeepsFromARawIpCapture(final String expression) throws Exception
    {
        keepsWhatTcpdumpKeeps(expression, packets, rawFile, true);
    }

    private static void keepsWhatTcpdumpKeeps(final String expression, final List<SampleTraffic.Frame> frames,
        final Path file, final boolean rawIp) throws Exception
    {
        final BpfProgram program = PcapFilterCompiler.compile(expression, PcapFilterCompiler.NETMASK_UNKNOWN, rawIp);
        final BpfInterpreter interpreter = new BpfInterpreter();
        final List<Integer> ours = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++)
        {
            final byte[] bytes = frames.get(i).bytes();
            if (interpreter.run(program, new UnsafeBuffer(bytes), 0, bytes.length) != 0)
            {
                ours.add((int)((frames.get(i).timeNs() - FIRST_NS) / 1_000_000L)); // told apart by time
            }
        }
        final List<Integer> tcpdumps = new ArrayList<>();
        for (final String line : Tcpdump.read(file, "-n", "-tt", expression))
        {
            if (!line.isEmpty() && Character.isDigit(line.charAt(0)))
            {
                final long micros = Math.round(Double.parseDouble(line.substring(0, line.indexOf(' '))) * 1e6);
                tcpdumps.add((int)((micros * 1_000L - FIRST_NS) / 1_000_000L));
            }
        }
        assertEquals(tcpdumps, ours, expression);
        assertFalse(tcpdumps.isEmpty(), "the sample has frames for '" + expression + "'");
        assertTrue(tcpdumps.size() < frames.size(), "and frames it leaves out");
    }
}
