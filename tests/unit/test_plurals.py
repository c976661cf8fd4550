import pytest

from chalicelib.schema.plurals import pluralize


@pytest.mark.parametrize(
    ("name", "plural"),
    [
        ("City", "Cities"),
        ("User", "Users"),
        ("Session", "Sessions"),
        ("ShopifyShop", "ShopifyShops"),
        ("Address", "Addresses"),
        ("Box", "Boxes"),
        ("Church", "Churches"),
        ("Day", "Days"),
        ("Person", "People"),
        ("SalesPerson", "SalesPeople"),
        ("Child", "Children"),
        ("Sheep", "Sheep"),
        ("Knife", "Knives"),
        ("Leaf", "Leaves"),
        ("Matrix", "Matrices"),
        ("Quiz", "Quizzes"),
        ("Potato", "Potatoes"),
        ("Photo", "Photos"),
        ("Cactus", "Cacti"),
        ("Bus", "Buses"),
        ("Series", "Series"),
        ("ABC", "ABCs"),
        ("Item2", "Item2s"),
    ],
)
def test_pluralize(name: str, plural: str) -> None:
    assert pluralize(name) == plural
