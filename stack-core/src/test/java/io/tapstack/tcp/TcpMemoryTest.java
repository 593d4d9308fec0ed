package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack-wide buffer account and the buffers over it: memory is charged as arrays are allocated (not as limits
 * grow), given back on dispose; pressure stops growth and keeps send buffers to what they hold; the hard limit
 * refuses new connections; the send buffer's limit follows the congestion window.
 */
class TcpMemoryTest
{
    private static final int KIB = 1024;

    private final StackCounters counters = new StackCounters();

    @Test
    void chargedAsArraysAreAllocatedAndCreditedWhenGivenBack()
    {
        final TcpMemory memory = new TcpMemory(1 << 30, 1 << 30, counters);
        final SendBuffer send = new SendBuffer(64 * KIB, 4096 * KIB, memory, counters);
        final ReceiveBuffer receive = new ReceiveBuffer(64 * KIB, 4096 * KIB, memory);
        assertEquals(0, memory.inUseBytes(), "nothing reserved at open");
        send.append(new byte[100], 0, 100);
        assertEquals(ByteRing.MIN_ALLOCATION, memory.inUseBytes());
        send.append(new byte[10 * KIB], 0, 10 * KIB);
        assertEquals(16 * KIB, send.allocated(), "doubled twice: 4 -> 8 -> 16 KiB");
        receive.write(new byte[40 * KIB], 0, 40 * KIB);
        assertEquals(64 * KIB, receive.allocated(), "the power of two above 40 KiB, at most the capacity");
        assertEquals(80 * KIB, memory.inUseBytes());
        assertEquals(80 * KIB, counters.get(Counter.TCP_MEMORY_BYTES));
        send.dispose();
        receive.disposeWhenEmpty();
        assertEquals(64 * KIB, memory.inUseBytes(), "unread bytes keep the receive buffer");
        assertEquals(40 * KIB, receive.read(new byte[64 * KIB], 0, 64 * KIB));
        assertEquals(0, memory.inUseBytes(), "read to the end: given back");
        assertEquals(0, counters.get(Counter.TCP_MEMORY_BYTES));
    }

    @Test
    void theSendBufferFollowsTheCongestionWindowInPowerOfTwoStepsUpToItsMaximum()
    {
        final TcpMemory memory = new TcpMemory(1 << 30, 1 << 30, counters);
        final SendBuffer send = new SendBuffer(64 * KIB, 1024 * KIB, memory, counters);
        final TcpConnection connection = connectionForEvents();
        send.followCongestionWindow(14_600, connection, 0);
        assertEquals(64 * KIB, send.capacity(), "2 x cwnd fits: no growth");
        send.followCongestionWindow(40_000, connection, 0);
        assertEquals(128 * KIB, send.capacity(), "2 x 40,000 rounded up to a power of two");
        assertEquals(0, memory.inUseBytes(), "a limit costs nothing until bytes are written");
        send.followCongestionWindow(100_000_000, connection, 0);
        assertEquals(1024 * KIB, send.capacity(), "at most the maximum");
        send.followCongestionWindow(10_000, connection, 0);
        assertEquals(1024 * KIB, send.capacity(), "never shrinks");
        assertEquals(2, counters.get(Counter.TCP_SNDBUF_GROWTHS));
    }

    @Test
    void underPressureASendBufferTakesOnlyWhatItsArrayHoldsButAtLeastItsInitialSize()
    {
        final TcpMemory memory = new TcpMemory(100 * KIB, 200 * KIB, counters);
        final SendBuffer grown = new SendBuffer(16 * KIB, 1024 * KIB, memory, counters);
        final TcpConnection connection = connectionForEvents();
        grown.followCongestionWindow(200 * KIB, connection, 0);
        assertEquals(512 * KIB, grown.capacity());
        assertEquals(100 * KIB, grown.append(new byte[100 * KIB], 0, 100 * KIB));
        assertTrue(memory.underPressure(), "128 KiB allocated of a 100 KiB limit");
        assertEquals(1, counters.get(Counter.TCP_MEMORY_PRESSURE));
        assertEquals(28 * KIB, grown.free(), "what the 128 KiB array still holds, not the 512 KiB limit");
        grown.followCongestionWindow(400 * KIB, connection, 0);
        assertEquals(512 * KIB, grown.capacity(), "no growth under pressure");

        final SendBuffer fresh = new SendBuffer(16 * KIB, 1024 * KIB, memory, counters);
        assertEquals(16 * KIB, fresh.free(), "a new buffer still gets its initial size");
        assertEquals(16 * KIB, fresh.append(new byte[64 * KIB], 0, 64 * KIB));

        grown.release(100 * KIB);
        grown.dispose();
        assertFalse(memory.underPressure(), "below the limit again");
        assertEquals(512 * KIB, grown.free(), "the whole limit again");
    }

    @Test
    void theHardLimitRefusesNewConnectionsAndCountsThem()
    {
        final TcpMemory memory = new TcpMemory(10 * KIB, 20 * KIB, counters);
        assertFalse(memory.refusesNewConnection());
        memory.charge(20 * KIB);
        assertTrue(memory.refusesNewConnection());
        assertEquals(1, counters.get(Counter.TCP_MEMORY_HARD_LIMIT));
        memory.release(1);
        assertFalse(memory.refusesNewConnection());
    }

    @Test
    void configDefaultsAndValidation()
    {
        final TcpConfig config = new TcpConfig();
        assertEquals(4 * 1024 * KIB, config.receiveBufferMaxBytes());
        assertEquals(4 * 1024 * KIB, config.sendBufferMaxBytes());
        assertEquals(256L * 1024 * KIB, config.memoryLimitBytes());
        assertEquals(384L * 1024 * KIB, config.memoryHardLimitBytes(), "1.5 x the limit unless set");
        assertEquals(8 * 1024 * KIB, config.receiveBufferBytes(8 * 1024 * KIB).receiveBufferMaxBytes(),
            "the maximum is never below the initial size");
        assertEquals(100L, config.memoryLimitBytes(100).memoryHardLimitBytes(50).memoryHardLimitBytes(),
            "the hard limit is never below the limit");
        assertThrows(IllegalArgumentException.class, () -> config.receiveBufferMaxBytes(0));
        assertThrows(IllegalArgumentException.class, () -> config.sendBufferBytes((1 << 30) + 1));
        assertThrows(IllegalArgumentException.class, () -> config.memoryLimitBytes(0));
    }

    /** A connection only for its event listener (none). */
    private static TcpConnection connectionForEvents()
    {
        return new TcpScript().connect(null);
    }
}
