/**
 * The stack on a Linux TAP device: {@link io.tapstack.tap.TapDevice} opens {@code /dev/net/tun} through JNA
 * direct mapping (no allocation per call) and sets the interface up; two ways to give it to a
 * {@link io.tapstack.NetStack}:
 * <ul>
 *   <li>SHARED, or your own thread driving the stack: {@link io.tapstack.tap.TapFrameDevice}, read(2) and write(2) on the stack's own
 *   thread, which idles in {@link io.tapstack.tap.TapFrameDevice#awaitReadable(long)} (poll(2));</li>
 *   <li>DEDICATED: {@link io.tapstack.tap.TapIoThreads}, a reader and a writer thread with Agrona rings to and
 *   from the stack, which uses {@link io.tapstack.tap.TapIoThreads#device()} and idles in
 *   {@link io.tapstack.tap.RingFrameDevice#awaitReadable(long)} (park).</li>
 * </ul>
 * Both implement {@link io.tapstack.tap.WaitableFrameDevice}, so one stack loop serves either:
 * <pre>{@code
 * while (running) {
 *     if (stack.doWork(clock.nanoTime()) == 0) {
 *         device.awaitReadable(Math.min(maxIdleNs, stack.nextDeadlineNs() - clock.nanoTime()));
 *     }
 * }
 * }</pre>
 * {@link io.tapstack.tap.TapStack} does all of that on its own thread and puts the socket API
 * ({@code io.tapstack.socket}) in front: a stack on a TAP in three lines. With
 * {@link io.tapstack.tap.TapStack.Builder#link} it runs on another waitable device instead, such as
 * {@link io.tapstack.tap.UdpTunnelDevice}: each frame in one UDP datagram to a peer, plain java.nio, no root.
 */
package io.tapstack.tap;
