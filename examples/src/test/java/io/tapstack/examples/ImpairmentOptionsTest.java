package io.tapstack.examples;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.GilbertElliott;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.MemoryLink;
import io.tapstack.dev.RateLimit;
import io.tapstack.time.ManualClock;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The impairment options: a value for both directions, or in: and out: for one; what each turns into. */
class ImpairmentOptionsTest
{
    private static final long MS = 1_000_000L;

    private static Options parse(final String line)
    {
        final Options options = StackOptions.declare(new Options("echo", "test"));
        options.parse(("--tap t --ip 10.0.0.2/24 " + line).trim().split(" +"), 0);
        return options;
    }

    private static ImpairmentOptions.Impairments impairments(final String line)
    {
        return ImpairmentOptions.impairments(parse(line));
    }

    private static String mistake(final String line)
    {
        return assertThrows(Options.UsageException.class, () -> StackOptions.check(parse(line))).getMessage();
    }

    @Test
    void noOptionsNoImpairment()
    {
        assertTrue(impairments("").isNone());
        final FrameDevice end = new MemoryLink(new ManualClock(0), 0, 16, 1514).endA();
        assertSame(end, StackOptions.impair(parse(""), end), "not even wrapped");
    }

    @Test
    void aValueWithoutDirectionIsForBoth()
    {
        final ImpairmentOptions.Impairments both = impairments("--loss 2% --duplicate 0.01 --reorder 10% --delay 5 "
            + "--jitter 1.5ms --corrupt 0.5%");
        final Impairment expected = Impairment.NONE.withLoss(0.02).withDuplicate(0.01).withReorder(0.1, MS)
            .withDelayNs(5 * MS, 1_500_000).withCorrupt(0.005);
        assertEquals(expected, both.in());
        assertEquals(expected, both.out());
    }

    @Test
    void inAndOutSetOneDirectionEach()
    {
        final ImpairmentOptions.Impairments split = impairments("--loss in:2% --loss out:1% --delay out:20 "
            + "--jitter 3 --corrupt IN:1%");
        assertEquals(Impairment.NONE.withLoss(0.02).withDelayNs(0, 3 * MS).withCorrupt(0.01), split.in());
        assertEquals(Impairment.NONE.withLoss(0.01).withDelayNs(20 * MS, 3 * MS), split.out());
    }

    @Test
    void rateTakesTbfsParameters()
    {
        // the default bucket: 1 ms of the rate, at least two full frames; the default queue: 50 ms and the bucket
        assertEquals(new RateLimit(10_000_000, 3028, 62_500 + 3028), impairments("--rate 10mbit").out().rate());
        assertEquals(RateLimit.NONE, impairments("--rate out:10mbit").in().rate());
        assertEquals(new RateLimit(10_000_000, 16_384, 25_000 + 16_384),
            impairments("--rate out:10Mbit,burst=16k,latency=20ms").out().rate());
        assertEquals(new RateLimit(1_000_000_000, 125_000, 1 << 20),
            impairments("--rate 1gbit,limit=1mb").in().rate());
        assertEquals(new RateLimit(512_000, 6000, 2000 + 6000),
            impairments("--rate 512kbit,burst=6000b,latency=31.25").in().rate());
        // a jumbo MTU makes the default bucket two jumbo frames
        assertEquals(2 * 9014, impairments("--mtu 9000 --rate 10mbit").in().rate().burstBytes());
    }

    @Test
    void gemodelTakesNetemsParametersAndDefaults()
    {
        assertEquals(GilbertElliott.of(0.01, 0.30), impairments("--gemodel 1%,30%").in().gilbertElliott());
        assertEquals(new GilbertElliott(0.05, 1, 1, 0), impairments("--gemodel 5%").out().gilbertElliott());
        final ImpairmentOptions.Impairments one = impairments("--gemodel out:1%,30%,50%,0.2%");
        assertEquals(new GilbertElliott(0.01, 0.30, 0.50, 0.002), one.out().gilbertElliott());
        assertEquals(GilbertElliott.NONE, one.in().gilbertElliott());
    }

    @Test
    void theDeviceImpairsEachDirectionAsAsked()
    {
        final FrameDevice end = new MemoryLink(new ManualClock(0), 0, 16, 1514).endA();
        final FrameDevice wrapped = StackOptions.impair(parse("--loss in:3% --rate out:1mbit"), end);
        final ImpairedDevice impaired = (ImpairedDevice)wrapped;
        assertEquals(0.03, impaired.receiveImpairment().loss());
        assertTrue(impaired.receiveImpairment().rate().isNone());
        assertEquals(1_000_000, impaired.transmitImpairment().rate().bitsPerSecond());
        assertEquals(0, impaired.transmitImpairment().loss());
    }

    @Test
    void mistakesNameTheOption()
    {
        assertTrue(mistake("--loss 2% --loss in:1%").startsWith("--loss is given twice for the in direction"));
        assertTrue(mistake("--delay out:1 --delay out:2").startsWith("--delay is given twice for the out"));
        assertTrue(mistake("--loss up:2%").startsWith("--loss takes in: or out:"));
        assertTrue(mistake("--corrupt 2").startsWith("--corrupt must be a percentage"));
        assertTrue(mistake("--jitter in:-1").startsWith("--jitter must be milliseconds"));
        assertTrue(mistake("--rate 10").startsWith("--rate must be none or a rate"));
        assertTrue(mistake("--rate 0.5kbit").startsWith("--rate must be"));
        assertTrue(mistake("--rate 200gbit").startsWith("--rate must be"));
        assertTrue(mistake("--rate 10mbit,bogus=1").startsWith("--rate must be"));
        assertTrue(mistake("--rate 10mbit,limit=64k,latency=5").startsWith("--rate must be"));
        assertTrue(mistake("--rate 10mbit,burst=12q").startsWith("--rate must be"));
        assertTrue(mistake("--rate 10mbit,burst=1000").startsWith("--rate burst= must hold a whole frame, 1514"));
        assertTrue(mistake("--rate 10mbit,limit=1000").startsWith("--rate limit= must hold a whole frame"));
        assertTrue(mistake("--rate 100gbit,latency=60000").startsWith("--rate latency= asks for a queue"));
        assertTrue(mistake("--gemodel 1%,2%,3%,4%,5%").startsWith("--gemodel must be none or"));
        assertTrue(mistake("--gemodel 120%").startsWith("--gemodel must be"));
        assertTrue(mistake("--gemodel ,").startsWith("--gemodel must be"));
    }
}
