package io.tapstack.forward.control;

/**
 * A port forward with its counters at one moment, as the control API lists it.
 *
 * @param forward          the forward
 * @param accepted         TCP connections accepted on the host socket, or UDP flows opened, since it was added
 * @param active           TCP connections or UDP flows open now
 * @param refused          connections or datagrams turned away (the guest refused, a limit reached)
 * @param bytesToGuest     payload bytes carried from host peers to the guest
 * @param bytesFromGuest   payload bytes carried from the guest to host peers
 */
public record PortForwardStatus(PortForward forward, long accepted, long active, long refused, long bytesToGuest,
    long bytesFromGuest)
{
}
