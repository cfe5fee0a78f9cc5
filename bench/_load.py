"""Shared load generation for the benchmarks: a 2 KB ADT^A01 and an MLLP client pool."""

from __future__ import annotations

import asyncio
import statistics
import time

START, END = b"\x0b", b"\x1c\x0d"


def adt_a01(n: int) -> bytes:
    """A realistic ADT^A01 of about 2 KB with control id ``n``."""
    segments = [
        f"MSH|^~\\&|EPICADT|NORTHVALLEY|CAREWEAVE|NVHS|20261127083015-0500||ADT^A01^ADT_A01|"
        f"NV{n:010d}|P|2.5.1|||AL|NE||UNICODE UTF-8",
        "EVN|A01|20261127083000-0500||ADM|1234567893^SMITH^ANN^M^^^MD^^NPI|20261127082900-0500",
        f"PID|1||{100000 + n % 5000}^^^NVH^MR~{900000000 + n}^^^SSA^SS~E{n % 7000:07d}^^^NVHS^PI||"
        "RIVERA^MARIA^ELENA^^^^L~RIVERA^MARIA^^^^^M||19680412|F||2106-3^White^CDCREC|"
        "1420 HARBOR VIEW DR^APT 4B^SPRINGFIELD^IL^62704^USA^H||^PRN^PH^^1^217^5550142~"
        "^NET^Internet^maria.rivera@example.org|^WPN^PH^^1^217^5550199|en^English^ISO639|M^Married|"
        f"CAT^Catholic|V{n:09d}^^^NVH^VN|||N^Not Hispanic or Latino^CDCREC",
        "PD1|||NORTH VALLEY MEDICAL GROUP^^1003|1215929890^NGUYEN^THANH^^^DR^^^NPI",
        "NK1|1|RIVERA^CARLOS^J|SPO^Spouse^HL70063|1420 HARBOR VIEW DR^APT 4B^SPRINGFIELD^IL^62704"
        "|^PRN^PH^^1^217^5550143||EC^Emergency Contact^HL70131",
        "PV1|1|I|CATH^3W12^A^NVH^^^^^CATH LAB 3 WEST||||1234567893^SMITH^ANN^M^^^MD^^^^NPI|"
        "1215929890^NGUYEN^THANH^^^DR^^^^NPI||CAR|||1|||1234567893^SMITH^ANN^M^^^MD^^^^NPI|IP|"
        f"V{n:09d}^^^NVH^VN|MCR||||||||||||||||||||NVH||||||20261127082900-0500",
        "PV2|||I21.4^Non-ST elevation (NSTEMI) myocardial infarction^I10|||||20261130|3|||||||||||"
        "N||||||||||N",
        "DG1|1||I21.4^Non-ST elevation (NSTEMI) myocardial infarction^I10||20261127|A",
        "DG1|2||I25.10^Atherosclerotic heart disease of native coronary artery^I10||20261127|S",
        "AL1|1|DA|70618^Penicillin^RXNORM|MO|Hives",
        "GT1|1||RIVERA^MARIA^ELENA||1420 HARBOR VIEW DR^APT 4B^SPRINGFIELD^IL^62704|"
        "^PRN^PH^^1^217^5550142||19680412|F||SEL",
        "IN1|1|MCRA^Medicare Part A^HL70072|CMS001|CENTERS FOR MEDICARE AND MEDICAID SERVICES|"
        "PO BOX 1234^^BALTIMORE^MD^21244||^WPN^PH^^1^800^6334227|||||20200101||||RIVERA^MARIA^ELENA|"
        "SEL|19680412|1420 HARBOR VIEW DR^APT 4B^SPRINGFIELD^IL^62704|||1||||||||||||||1EG4TE5MK73",
        "ZPV|NVH-CARDIO|SERVICE LINE CARDIOLOGY|CC-4410",
    ]
    return ("\r".join(segments) + "\r").encode()


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, message: bytes) -> bytes:
        self.writer.write(START + message + END)
        return await self.reader.readuntil(END)


async def run_load(port: int, conns: int, per_conn: int, warmup: int = 200) -> dict[str, float]:
    """Send ``per_conn`` messages on each of ``conns`` connections; return rate and latencies."""
    opened = [_Conn(*await asyncio.open_connection("127.0.0.1", port)) for _ in range(conns)]
    payloads = [adt_a01(i) for i in range(conns * (per_conn + warmup))]
    latencies: list[float] = []

    async def lane(i: int, conn: _Conn, count: int, offset: int, record: bool) -> None:
        for k in range(count):
            msg = payloads[offset + i * count + k]
            t0 = time.perf_counter()
            ack = await conn.exchange(msg)
            if record:
                latencies.append(time.perf_counter() - t0)
            if b"MSA|AA" not in ack and b"MSA|CA" not in ack:
                raise RuntimeError(f"not accepted: {ack[:200]!r}")

    await asyncio.gather(*(lane(i, c, warmup, 0, False) for i, c in enumerate(opened)))
    start = time.perf_counter()
    await asyncio.gather(
        *(lane(i, c, per_conn, conns * warmup, True) for i, c in enumerate(opened))
    )
    elapsed = time.perf_counter() - start
    for c in opened:
        c.writer.close()
    latencies.sort()
    return {
        "msgs_per_s": round(conns * per_conn / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
    }
