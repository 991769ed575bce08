; drop_tcp22.s - the seed talk's tc example ("drop all packets for TCP port 22") in BPF
; assembly, kernel syntax.  Raw-program convention: r1 = packet start, r2 = packet length.
; Returns TC_ACT_SHOT (2) for IPv4/TCP packets to port 22 with a 20-byte IP header, else
; TC_ACT_OK (0).
        r3 = r1
        r3 += r2                        ; r3 = data_end
        r4 = r1
        r4 += 54                        ; Ethernet (14) + IPv4 (20) + TCP (20)
        if r4 > r3 goto pass            ; length check
        r5 = *(u16 *)(r1 + 12)
        if r5 != 0x8 goto pass          ; h_proto != htons(ETH_P_IP)
        r5 = *(u8 *)(r1 + 23)
        if r5 != 6 goto pass            ; protocol != IPPROTO_TCP
        r5 = *(u8 *)(r1 + 14)
        r5 &= 0xf
        if r5 != 5 goto pass            ; ihl != 5
        r5 = *(u16 *)(r1 + 36)
        if r5 != 0x1600 goto pass       ; dest != htons(22)
        r0 = 2                          ; TC_ACT_SHOT
        exit
pass:
        r0 = 0                          ; TC_ACT_OK
        exit
