"""A Modbus TCP controller nobody at LiftWatch wrote: Debian's python3-pymodbus serving registers
laid out as liftwatch-ref (docs/register-map.md). Usage: pymodbus_server.py REGISTERS.json PORT

REGISTERS.json: {"units": {"1": {"coil": [...], "discrete": [...], "holding": [...], "input": [...]}}}
Prints "listening PORT" once the server is up. Then each line on stdin, the same JSON, replaces the
values it names from address 0 (a controller whose car moves); "applied N" answers line N.
"""
import asyncio
import json
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


def block(values, size, fill):
    values = list(values) + [fill] * max(0, size - len(values))
    return ModbusSequentialDataBlock(0, values)


async def main():
    spec = json.load(open(sys.argv[1]))
    port = int(sys.argv[2])
    slaves = {}
    for unit, areas in spec["units"].items():
        # zero_mode: address 0 on the wire is element 0 here, as in the register map
        slaves[int(unit)] = ModbusSlaveContext(
            co=block([bool(v) for v in areas["coil"]], 32, False),
            di=block([bool(v) for v in areas["discrete"]], 32, False),
            hr=block(areas["holding"], 64, 0),
            ir=block(areas["input"], 64, 0),
            zero_mode=True,
        )
    context = ModbusServerContext(slaves=slaves, single=False)
    server = await StartAsyncTcpServer(context=context, address=("127.0.0.1", port), defer_start=True)
    print(f"listening {port}", flush=True)
    asyncio.get_running_loop().create_task(updates(slaves))
    await server.serve_forever()


# function codes that select each data block in ModbusSlaveContext.setValues
AREA_FC = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}


async def updates(slaves):
    loop = asyncio.get_running_loop()
    n = 0
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return  # stdin closed or not given: the registers stay as they are
        n += 1
        for unit, areas in json.loads(line)["units"].items():
            for area, values in areas.items():
                slaves[int(unit)].setValues(AREA_FC[area], 0, [bool(v) for v in values] if area in ("coil", "discrete") else values)
        print(f"applied {n}", flush=True)


asyncio.run(main())
