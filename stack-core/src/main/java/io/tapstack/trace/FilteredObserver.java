package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import org.agrona.DirectBuffer;

/**
 * Shows an observer (a {@link PcapWriter}, a {@link FrameTrace}) only the frames a classic BPF program keeps: the
 * filter of {@code tcpdump EXPR}, compiled by libpcap, run here on each frame by a {@link BpfInterpreter}. Counts
 * the frames kept and left out. Allocates nothing per frame.
 *
 * <p>Owned by the stack thread.
 */
public final class FilteredObserver implements FrameObserver
{
    private final BpfProgram program;
    private final FrameObserver downstream;
    private final BpfInterpreter interpreter = new BpfInterpreter();
    private long kept;
    private long filteredOut;

    public FilteredObserver(final BpfProgram program, final FrameObserver downstream)
    {
        this.program = program;
        this.downstream = downstream;
    }

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        if (interpreter.run(program, buffer, offset, length) != 0)
        {
            kept++;
            downstream.onFrame(fromA, buffer, offset, length, nowNs);
        }
        else
        {
            filteredOut++;
            downstream.onTime(nowNs);
        }
    }

    @Override
    public void onTime(final long nowNs)
    {
        downstream.onTime(nowNs);
    }

    @Override
    public long nextDeadlineNs()
    {
        return downstream.nextDeadlineNs();
    }

    /** Frames the program kept and showed downstream. */
    public long kept()
    {
        return kept;
    }

    /** Frames the program left out. */
    public long filteredOut()
    {
        return filteredOut;
    }
}
