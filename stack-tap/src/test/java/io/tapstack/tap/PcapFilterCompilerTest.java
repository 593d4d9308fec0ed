package io.tapstack.tap;

import io.tapstack.testkit.Tcpdump;
import io.tapstack.trace.BpfProgram;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The libpcap binding: the same instructions as {@code tcpdump -ddd}, and libpcap's own words for a mistake. */
class PcapFilterCompilerTest
{
    @BeforeAll
    static void libpcap()
    {
        Libpcap.require();
    }

    @ParameterizedTest
    @ValueSource(strings = {"arp", "tcp port 80", "udp and not port 53", "tcp[tcpflags] & tcp-syn != 0",
        "host 10.0.0.1", "len > 100", "ip[6:2] & 0x1fff != 0"})
    void compilesToTheProgramTcpdumpPrints(final String expression) throws Exception
    {
        final String tcpdump = run(Tcpdump.require(), "-ddd", expression);
        assertEquals(tcpdump, PcapFilterCompiler.compile(expression).toString());
    }

    @Test
    void aBadExpressionIsRefusedWithLibpcapsOwnMessageAsTcpdumpPrintsIt() throws Exception
    {
        final PcapFilterCompiler.InvalidFilterException ex = assertThrows(
            PcapFilterCompiler.InvalidFilterException.class, () -> PcapFilterCompiler.compile("tcp prot 80"));
        assertEquals("can't parse filter expression: syntax error", ex.getMessage());
        final Process p = new ProcessBuilder(Tcpdump.require(), "-d", "tcp prot 80").start();
        final String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertTrue(err.contains("tcpdump: " + ex.getMessage()), err);

        final PcapFilterCompiler.InvalidFilterException unknownHost = assertThrows(
            PcapFilterCompiler.InvalidFilterException.class, () -> PcapFilterCompiler.compile("tcp port http2x"));
        assertTrue(unknownHost.getMessage().contains("http2x"), unknownHost.getMessage());
    }

    @Test
    void theEmptyExpressionKeepsEverything()
    {
        final BpfProgram all = PcapFilterCompiler.compile("");
        assertEquals(1, all.length());
        assertTrue(PcapFilterCompiler.libraryVersion().startsWith("libpcap version "));
    }

    private static String run(final String... command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(List.of(command)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command));
        return out;
    }
}
