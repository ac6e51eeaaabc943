import pytest
from anxin.petitions.tests.test_documents import *  # noqa

pytestmark = [pytest.mark.django_db]

def test_dump(personas, register, city_head, litigation):
    p = rechecked(personas, register, city_head)
    for kind in ["forward_notice","acceptance_notice","extension_notice","decision","review_decision","recheck_decision"]:
        name, data, body = build(p, kind, personas.clerk)
        print("=====", name); print(body)
    q = register(received_on=dt.date(2026, 11, 20), kind="suggestion").petition
    q = services.petition_decline(actor=personas.clerk, petition=q, reason=litigation)
    print("=====", build(q, "decline_notice", personas.clerk)[2])
