"""A small demo program with asyncio mistakes for `asyncmend fix --diff demo`."""
import asyncio


class Cart:
    def __init__(self):
        self.items = []

    async def add(self, item):
        await asyncio.sleep(0)
        self.items.append(item)


async def save(cart):
    print("saving", cart.items)


async def checkout():
    cart = Cart()
    cart.add("apple")  # never runs: the coroutine is dropped
    await cart.add("pear")
    save(cart)


if __name__ == "__main__":
    asyncio.run(checkout())
