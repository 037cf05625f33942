from django.db import migrations
from django.utils.text import slugify

GROUPS = ("Residents", "Officers", "Sergeants")

# Copied here (not imported) so this migration keeps working whatever later happens to areas.py.
AREAS = {
    "Southwark": [
        "Borough & Bankside", "Camberwell Green", "Champion Hill", "Chaucer", "Dulwich Hill",
        "Dulwich Village", "Dulwich Wood", "Faraday", "Goose Green", "London Bridge & West Bermondsey",
        "Newington", "North Bermondsey", "North Walworth", "Nunhead & Queen's Road", "Old Kent Road",
        "Peckham", "Peckham Rye", "Rotherhithe", "Rye Lane", "South Bermondsey", "St George's",
        "St Giles", "Surrey Docks",
    ],
    "Lambeth": [
        "Brixton Acre Lane", "Brixton North", "Brixton Rush Common", "Brixton Windrush",
        "Clapham Common & Abbeville", "Clapham East", "Clapham Park", "Clapham Town", "Gipsy Hill",
        "Herne Hill & Loughborough Junction", "Kennington", "Knight's Hill", "Myatt's Fields", "Oval",
        "St Martin's", "Stockwell East", "Stockwell West & Larkhall", "Streatham Common & Vale",
        "Streatham Hill East", "Streatham Hill West & Thornton", "Streatham St Leonard's",
        "Streatham Wells", "Vauxhall", "Waterloo & South Bank", "West Dulwich",
    ],
}  # fmt: skip


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Borough = apps.get_model("participants", "Borough")
    Ward = apps.get_model("participants", "Ward")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    for borough_name, wards in AREAS.items():
        borough, _ = Borough.objects.get_or_create(
            name=borough_name, defaults={"slug": slugify(borough_name)}
        )
        for ward_name in wards:
            Ward.objects.get_or_create(borough=borough, name=ward_name)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
