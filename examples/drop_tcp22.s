; drop_tcp22.s - the seed talk's tc example ("drop all packets for TCP port 22") in BPF
; assembly, kernel syntax, as clang compiles handle_ingress(struct __sk_buff *skb).
; Run it as a tc classifier: bpfvm prog run drop_tcp22.s --type tc --data-in PKT
; Returns TC_ACT_SHOT (2) for IPv4/TCP packets to port 22 with a 20-byte IP header, else
; TC_ACT_OK (0).
        r2 = *(u32 *)(r1 + 76)          ; data = skb->data
        r3 = *(u32 *)(r1 + 80)          ; data_end = skb->data_end
        r4 = r2
        r4 += 54                        ; Ethernet (14) + IPv4 (20) + TCP (20)
        if r4 > r3 goto pass            ; length check
        r5 = *(u16 *)(r2 + 12)
        if r5 != 0x8 goto pass          ; h_proto != htons(ETH_P_IP)
        r5 = *(u8 *)(r2 + 23)
        if r5 != 6 goto pass            ; protocol != IPPROTO_TCP
        r5 = *(u8 *)(r2 + 14)
        r5 &= 0xf
        if r5 != 5 goto pass            ; ihl != 5
        r5 = *(u16 *)(r2 + 36)
        if r5 != 0x1600 goto pass       ; dest != htons(22)
        r0 = 2                          ; TC_ACT_SHOT
        exit
pass:
        r0 = 0                          ; TC_ACT_OK
        exit
