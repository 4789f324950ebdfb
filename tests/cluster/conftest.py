"""The production broker topology (three clustered RabbitMQ nodes) on this machine: issue 22."""


def pytest_configure(config):
    config.addinivalue_line("markers", "cluster: starts a three-node RabbitMQ cluster stack of its own")
